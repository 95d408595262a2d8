package org.cetusguard.proxy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.cetusguard.gate.ImageLookup;
import org.cetusguard.json.JsonDocument;
import org.cetusguard.json.JsonException;
import org.cetusguard.json.JsonParser;
import org.cetusguard.policy.ImageFacts;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.Content;

/**
 * {@link ImageLookup} over the shared backend client: {@code GET /images/{reference}/json}, sent
 * asynchronously (no thread waits for the daemon), its answer copied into memory reserved from the
 * request's lease. 200 gives the image's ID and names; any other 4xx (no such image, an invalid
 * reference) is {@link ImageFacts#UNKNOWN}, since the daemon could not run such an image either;
 * a 5xx or no answer fails the lookup (the gate then refuses with 502), as does a lease the budget
 * cannot grow ({@link ImageLookup.Busy}, 503).
 */
public final class DaemonImages implements ImageLookup {
    /** Image inspect answers are a few KiB; a huge one is not worth judging. */
    static final int MAX_ANSWER_BYTES = 256 * 1024;
    private static final JsonParser.Limits LIMITS = new JsonParser.Limits(MAX_ANSWER_BYTES, 64, 100_000);
    private static final long TIMEOUT_SECONDS = 30;
    private static final String UNRESERVED = "-._~/:@";

    private final Backend backend;
    private final MemoryBudget.Lease lease;

    DaemonImages(Backend backend, MemoryBudget.Lease lease) {
        this.backend = backend;
        this.lease = lease;
    }

    /** For a tool asking once (cetusguard check): the same lookup, with a budget of its own. */
    public static ImageLookup forTool(Backend backend) {
        return new DaemonImages(backend, MemoryBudget.forHeap().lease());
    }

    @Override
    public CompletableFuture<ImageFacts> lookup(String reference) {
        CompletableFuture<ImageFacts> result = new CompletableFuture<>();
        BodyBuffer answer = new BodyBuffer(lease, MAX_ANSWER_BYTES, -1);
        backend.prepare(backend.httpClient().newRequest(backend.uri("/images/" + encode(reference) + "/json")))
                .method(HttpMethod.GET)
                .timeout(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .send(new Response.Listener() {
                    @Override
                    public void onContent(Response response, Content.Chunk chunk, Runnable demander) {
                        BodyBuffer.Result appended = answer.append(chunk.getByteBuffer());
                        if (appended != BodyBuffer.Result.OK) {
                            response.abort(appended == BodyBuffer.Result.NO_MEMORY ? new Busy() : new IllegalStateException("image answer too large"));
                            return;
                        }
                        demander.run();
                    }

                    @Override
                    public void onComplete(Result outcome) {
                        try {
                            result.complete(facts(outcome, answer));
                        } catch (RuntimeException e) {
                            result.completeExceptionally(e);
                        }
                    }
                });
        return result;
    }

    private ImageFacts facts(Result outcome, BodyBuffer answer) {
        if (outcome.isFailed()) {
            throw outcome.getFailure() instanceof Busy busy ? busy : new IllegalStateException(outcome.getFailure());
        }
        int status = outcome.getResponse().getStatus();
        if (status >= 400 && status < 500) {
            return ImageFacts.UNKNOWN;
        }
        if (status != 200) {
            throw new IllegalStateException("the daemon answered " + status);
        }
        byte[] bytes = answer.bytes();
        if (bytes == null || !lease.grow(JsonParser.workingMemory(bytes.length, LIMITS))) {
            throw new Busy();
        }
        JsonDocument doc;
        try {
            doc = JsonParser.parse(bytes, LIMITS);
        } catch (JsonException e) {
            throw new IllegalStateException("the daemon's image answer is not JSON: " + e.getMessage());
        }
        if (doc.kind(JsonDocument.ROOT) != JsonDocument.Kind.OBJECT) {
            throw new IllegalStateException("the daemon's image answer is not an object");
        }
        int id = doc.member(JsonDocument.ROOT, "Id");
        if (id == JsonDocument.ABSENT || doc.kind(id) != JsonDocument.Kind.STRING) {
            throw new IllegalStateException("the daemon's image answer has no Id");
        }
        return new ImageFacts(doc.string(id), strings(doc, "RepoTags"), strings(doc, "RepoDigests"));
    }

    private static List<String> strings(JsonDocument doc, String field) {
        List<String> out = new ArrayList<>();
        int array = doc.member(JsonDocument.ROOT, field);
        if (array == JsonDocument.ABSENT || doc.kind(array) != JsonDocument.Kind.ARRAY) {
            return out;
        }
        for (int e = doc.firstElement(array); e != JsonDocument.ABSENT; e = doc.nextElement(array, e)) {
            if (doc.kind(e) == JsonDocument.Kind.STRING) {
                out.add(doc.string(e));
            }
        }
        return out;
    }

    /** The reference as one path segment run: characters of image references stay, anything else is percent-encoded. */
    static String encode(String reference) {
        StringBuilder out = new StringBuilder(reference.length() + 8);
        for (byte b : reference.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || UNRESERVED.indexOf(c) >= 0) {
                out.append(c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xf, 16)))
                        .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
            }
        }
        return out.toString();
    }
}
