package org.cetusguard.proxy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.cetusguard.gate.ContainerLookup;
import org.cetusguard.gate.ContainerView;
import org.cetusguard.gate.ImageLookup;
import org.cetusguard.gate.NotFound;
import org.cetusguard.json.JsonDocument;
import org.cetusguard.json.JsonException;
import org.cetusguard.json.JsonParser;
import org.cetusguard.json.JsonStream;
import org.cetusguard.log.Log;
import org.cetusguard.policy.LabelScope;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * {@link ContainerLookup} over the shared backend client: what the daemon says about the containers
 * of each scope (only-label), kept fresh from its event stream. Nothing waits: every question is an
 * asynchronous request, every answer is read as it streams on the client's selector.
 *
 * <ul>
 *   <li><b>Views</b>: a scope's containers are listed with the scope's label filter
 *       ({@code GET /containers/json?all=1&filters=...}), read as they stream ({@link JsonStream}:
 *       only IDs, names and the scope's labels are kept, and each container's labels are checked
 *       again here), one list at a time per scope. A view stays in use while the proxy's own
 *       subscription to the daemon's container events ({@code create}, {@code destroy},
 *       {@code rename}) has run since before it was listed: those events update it. A view listed
 *       while the subscription was down, or while a container of the scope changed, is listed
 *       again before it is used; a name a view does not hold is always looked up in a new list
 *       ({@link #refresh}) before it is called missing. The subscription is opened with the first
 *       view and reopened when it breaks (after 1 s, doubling to 30 s).</li>
 *   <li><b>Execs</b>: {@code GET /exec/ID/json} gives the container of an exec; the answer (the
 *       exec's container never changes) is remembered for the last {@value #MAX_EXECS} execs.</li>
 *   <li><b>Missing objects</b>: the daemon's answer for a container, an exec or a list reference
 *       it does not have is learnt once per API by asking it about a name nothing has.</li>
 * </ul>
 *
 * <p>Memory: what views hold (about {@value #ENTRY_BYTES} bytes a container plus its ID and names)
 * and what answers being read hold is reserved from the proxy's budget; past it a lookup fails
 * busy (the client gets 503). A view holds at most {@value #MAX_CONTAINERS} containers.
 */
public final class ContainerDirectory extends AbstractLifeCycle implements ContainerLookup {
    static final int MAX_CONTAINERS = 100_000;
    static final int ENTRY_BYTES = 160;
    static final int MAX_EXECS = 1024;
    private static final int MAX_SMALL_ANSWER = 256 * 1024;
    private static final int MAX_EVENT_LINE = 64 * 1024;
    private static final long TIMEOUT_SECONDS = 30;
    private static final long MAX_BACKOFF_MS = 30_000;
    private static final JsonParser.Limits SMALL = new JsonParser.Limits(MAX_SMALL_ANSWER, 64, 100_000);
    private static final String LIBPOD_PREFIX = "/v4.0.0/libpod";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Backend backend;
    private final MemoryBudget.Lease lease;
    private final Map<LabelScope, ScopeState> scopes = new ConcurrentHashMap<>();
    private final Map<String, String> execs = new LinkedHashMap<>(64, 0.75f, true);
    private final Map<String, CompletableFuture<NotFound>> notFound = new ConcurrentHashMap<>();

    // The event subscription: guarded by this.
    private boolean subscribed;
    private org.eclipse.jetty.client.Request subscription;
    private long backoffMs = 1000;
    private long epochs;
    /** The epoch of the subscription while it runs, 0 while it does not. */
    private volatile long liveEpoch;

    public ContainerDirectory(Backend backend, MemoryBudget budget) {
        this.backend = backend;
        this.lease = budget.lease();
    }

    /** For a tool asking once (cetusguard check): the same lookups, no subscription kept. */
    public static ContainerLookup forTool(Backend backend) {
        return new ContainerDirectory(backend, MemoryBudget.forHeap());
    }

    @Override
    protected void doStop() throws Exception {
        org.eclipse.jetty.client.Request open;
        synchronized (this) {
            subscribed = false;
            open = subscription;
            subscription = null;
        }
        if (open != null) {
            open.abort(new java.util.concurrent.CancellationException("stopping"));
        }
        lease.close();
        super.doStop();
    }

    // ---------------------------------------------------------------- views

    /** One scope: its view, and the list being made. Guarded by itself. */
    private static final class ScopeState {
        volatile ContainerView view;
        long reserved;
        CompletableFuture<ContainerView> current;
        CompletableFuture<ContainerView> next;
        /** A container of the scope changed while the current list was made. */
        boolean churn;
    }

    private ScopeState state(LabelScope scope) {
        return scopes.computeIfAbsent(scope, s -> new ScopeState());
    }

    @Override
    public CompletableFuture<ContainerView> view(LabelScope scope) {
        subscribe();
        ScopeState state = state(scope);
        ContainerView view = state.view;
        long live = liveEpoch;
        if (view != null && live != 0 && view.epoch() == live) {
            return CompletableFuture.completedFuture(view);
        }
        synchronized (state) {
            if (state.current != null) {
                return state.current;
            }
            return startList(scope, state);
        }
    }

    @Override
    public CompletableFuture<ContainerView> refresh(LabelScope scope) {
        subscribe();
        ScopeState state = state(scope);
        synchronized (state) {
            if (state.current == null) {
                return startList(scope, state);
            }
            if (state.next == null) {
                state.next = new CompletableFuture<>();
            }
            return state.next;
        }
    }

    @Override
    public boolean knownInScope(LabelScope scope, String id) {
        ScopeState state = scopes.get(scope);
        ContainerView view = state == null ? null : state.view;
        return view != null && view.contains(id);
    }

    /** Starts listing the scope's containers; called holding the state's lock. */
    private CompletableFuture<ContainerView> startList(LabelScope scope, ScopeState state) {
        CompletableFuture<ContainerView> listed = new CompletableFuture<>();
        state.current = listed;
        state.churn = false;
        long epoch = liveEpoch;
        ListReader reader = new ListReader(scope);
        String filters = "{\"label\":[" + String.join(",", scope.filters().stream().map(org.cetusguard.json.JsonWriter::string).toList()) + "]}";
        get("/containers/json?all=1&filters=" + queryEscape(filters), new Response.Listener() {
            @Override
            public void onContent(Response response, Content.Chunk chunk, Runnable demander) {
                if (response.getStatus() == 200) {
                    try {
                        reader.stream.feed(chunk.getByteBuffer());
                    } catch (JsonException | RuntimeException e) {
                        response.abort(e);
                        return;
                    }
                    if (reader.failure != null) {
                        response.abort(reader.failure);
                        return;
                    }
                }
                demander.run();
            }

            @Override
            public void onComplete(Result result) {
                try {
                    if (result.isFailed()) {
                        throw result.getFailure();
                    }
                    if (result.getResponse().getStatus() != 200) {
                        throw new IllegalStateException("the daemon answered " + result.getResponse().getStatus() + " to a container list");
                    }
                    reader.stream.end();
                    listed(scope, state, reader, epoch, listed);
                } catch (Throwable failure) {
                    lease.shrink(reader.reserved);
                    finishList(state, listed, null, failure);
                }
            }
        });
        return listed;
    }

    private void listed(LabelScope scope, ScopeState state, ListReader reader, long epoch, CompletableFuture<ContainerView> listed) {
        ContainerView view;
        synchronized (state) {
            view = ContainerView.of(reader.containers, state.churn ? 0 : epoch);
            lease.shrink(state.reserved);
            state.reserved = reader.reserved;
            state.view = view;
        }
        finishList(state, listed, view, null);
    }

    private void finishList(ScopeState state, CompletableFuture<ContainerView> listed, ContainerView view, Throwable failure) {
        CompletableFuture<ContainerView> queued;
        synchronized (state) {
            state.current = null;
            queued = state.next;
            state.next = null;
        }
        if (failure != null) {
            listed.completeExceptionally(failure);
        } else {
            listed.complete(view);
        }
        if (queued != null) {
            LabelScope scope = scopeOf(state);
            if (scope == null) {
                queued.completeExceptionally(new IllegalStateException("scope gone"));
                return;
            }
            synchronized (state) {
                startList(scope, state).whenComplete((v, f) -> {
                    if (f != null) {
                        queued.completeExceptionally(f);
                    } else {
                        queued.complete(v);
                    }
                });
            }
        }
    }

    private LabelScope scopeOf(ScopeState state) {
        for (Map.Entry<LabelScope, ScopeState> entry : scopes.entrySet()) {
            if (entry.getValue() == state) {
                return entry.getKey();
            }
        }
        return null;
    }

    private static long cost(String id, List<String> names) {
        long n = ENTRY_BYTES + id.length();
        for (String name : names) {
            n += name.length() + 16;
        }
        return n;
    }

    /** Reads a container list as it streams: each container's Id, Names and the scope's labels; nothing else is kept. */
    private final class ListReader implements JsonStream.Visitor {
        final JsonStream stream = new JsonStream(this);
        final List<ContainerView.Container> containers = new ArrayList<>();
        final LabelScope scope;
        final Set<String> keys;
        long reserved;
        Exception failure;
        private int depth;
        private String field;
        private String label;
        private String id;
        private List<String> names;
        private Map<String, String> labels;

        ListReader(LabelScope scope) {
            this.scope = scope;
            this.keys = new HashSet<>(scope.keys());
        }

        @Override
        public void startObject() {
            depth++;
            if (depth == 1) {
                failure = new IllegalStateException("the daemon's container list is not an array");
            }
            if (depth == 2) {
                id = null;
                names = new ArrayList<>();
                labels = new HashMap<>();
                field = null;
            }
        }

        @Override
        public void endObject() {
            if (depth == 2) {
                if (id == null) {
                    failure = new IllegalStateException("a container without an Id in the daemon's list");
                } else if (scope.matches(labels::get)) {
                    long cost = cost(id, names);
                    if (containers.size() >= MAX_CONTAINERS) {
                        failure = new IllegalStateException("more than " + MAX_CONTAINERS + " containers in one scope");
                    } else if (!lease.grow(cost)) {
                        failure = new ImageLookup.Busy();
                    } else {
                        reserved += cost;
                        containers.add(new ContainerView.Container(id, names));
                    }
                }
            }
            depth--;
        }

        @Override
        public void startArray() {
            depth++;
        }

        @Override
        public void endArray() {
            depth--;
        }

        @Override
        public void key(String key) {
            if (depth == 2) {
                field = key;
            } else if (depth == 3) {
                label = key;
            }
        }

        @Override
        public boolean wantsString() {
            return (depth == 2 && "Id".equals(field)) || (depth == 3 && "Names".equals(field))
                    || (depth == 3 && "Labels".equals(field) && label != null && keys.contains(label));
        }

        @Override
        public void string(String value) {
            if (value == null) {
                return;
            }
            if (depth == 2) {
                id = value;
            } else if ("Names".equals(field)) {
                names.add(value);
            } else {
                labels.put(label, value);
            }
        }

        @Override
        public void scalar() {
        }
    }

    // ---------------------------------------------------------------- the event subscription

    private void subscribe() {
        synchronized (this) {
            if (subscribed || !isRunning()) {
                return;
            }
            subscribed = true;
        }
        openSubscription();
    }

    private void openSubscription() {
        EventReader reader = new EventReader();
        String filters = "{\"type\":[\"container\"],\"event\":[\"create\",\"destroy\",\"rename\"]}";
        org.eclipse.jetty.client.Request request = backend.prepare(backend.httpClient()
                .newRequest(backend.uri("/events?filters=" + queryEscape(filters)))).method(HttpMethod.GET);
        synchronized (this) {
            if (!subscribed) {
                return;
            }
            subscription = request;
        }
        request.send(new Response.Listener() {
            @Override
            public void onHeaders(Response response) {
                if (response.getStatus() == 200) {
                    synchronized (ContainerDirectory.this) {
                        liveEpoch = ++epochs;
                        backoffMs = 1000;
                    }
                }
            }

            @Override
            public void onContent(Response response, Content.Chunk chunk, Runnable demander) {
                if (response.getStatus() == 200) {
                    reader.feed(chunk.getByteBuffer());
                }
                demander.run();
            }

            @Override
            public void onComplete(Result result) {
                long delay;
                synchronized (ContainerDirectory.this) {
                    liveEpoch = 0;
                    subscription = null;
                    if (!subscribed) {
                        return;
                    }
                    delay = backoffMs;
                    backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
                }
                Log.debug("the daemon's event stream ended (" + (result.isFailed() ? result.getFailure() : "closed")
                        + "); container scopes are listed again until it is back, in " + delay + " ms");
                Scheduler scheduler = backend.scheduler();
                scheduler.schedule(ContainerDirectory.this::openSubscription, delay, TimeUnit.MILLISECONDS);
            }
        });
    }

    /**
     * Splits the event stream into lines and applies each. A line longer than {@link #MAX_EVENT_LINE}
     * (a container created with huge labels) is skipped to its end, and since it may have been a
     * create, destroy or rename, every view becomes stale (listed again when next used) rather than
     * the subscription ending: nothing is decided on a view that missed an event.
     */
    private final class EventReader {
        private final byte[] line = new byte[MAX_EVENT_LINE];
        private int length;
        private boolean skipping;

        void feed(ByteBuffer chunk) {
            while (chunk.hasRemaining()) {
                byte b = chunk.get();
                if (b == '\n') {
                    if (skipping) {
                        skipping = false;
                        forgetViews();
                    } else {
                        apply(java.util.Arrays.copyOf(line, length));
                    }
                    length = 0;
                } else if (length == line.length) {
                    skipping = true;
                } else if (!skipping) {
                    line[length++] = b;
                }
            }
        }
    }

    /** Makes every scope's view stale: it is listed again from the daemon when next used. */
    private void forgetViews() {
        Log.debug("an event line longer than " + MAX_EVENT_LINE + " bytes was skipped; container scopes are listed again");
        for (ScopeState state : scopes.values()) {
            synchronized (state) {
                if (state.current != null) {
                    state.churn = true; // a listing in flight may not have seen it either
                }
                if (state.view != null) {
                    state.view = ContainerView.of(state.view.containers(), 0);
                }
            }
        }
    }

    /** One container event: create adds the container to the views of the scopes it is in, destroy removes it, rename renames it. */
    private void apply(byte[] line) {
        JsonDocument doc;
        try {
            doc = JsonParser.parseAnswer(line, SMALL);
        } catch (JsonException e) {
            return;
        }
        if (doc.kind(JsonDocument.ROOT) != JsonDocument.Kind.OBJECT) {
            return;
        }
        String action = string(doc, JsonDocument.ROOT, "Action");
        int actor = doc.exactMember(JsonDocument.ROOT, "Actor");
        if (action == null || actor == JsonDocument.ABSENT || doc.kind(actor) != JsonDocument.Kind.OBJECT) {
            return;
        }
        String id = string(doc, actor, "ID");
        int attributes = doc.exactMember(actor, "Attributes");
        if (id == null || attributes == JsonDocument.ABSENT || doc.kind(attributes) != JsonDocument.Kind.OBJECT) {
            return;
        }
        String name = string(doc, attributes, "name");
        long live = liveEpoch;
        for (Map.Entry<LabelScope, ScopeState> entry : scopes.entrySet()) {
            if (!entry.getKey().matches(key -> string(doc, attributes, key))) {
                continue;
            }
            ScopeState state = entry.getValue();
            synchronized (state) {
                if (state.current != null) {
                    state.churn = true;
                }
                ContainerView view = state.view;
                if (view == null || view.epoch() != live || live == 0) {
                    continue;
                }
                switch (action) {
                    case "create", "rename" -> {
                        List<String> names = name == null ? List.of() : List.of("/" + name);
                        long before = view.contains(id) ? cost(id, view.names(id)) : 0;
                        long after = cost(id, names);
                        if (after > before && !lease.grow(after - before)) {
                            state.view = ContainerView.of(view.containers(), 0); // stale: listed again when used
                            continue;
                        }
                        lease.shrink(Math.max(0, before - after));
                        state.reserved += after - before;
                        state.view = view.size() >= MAX_CONTAINERS && before == 0 ? ContainerView.of(view.containers(), 0)
                                : view.with(new ContainerView.Container(id, names), live);
                    }
                    case "destroy" -> {
                        if (view.contains(id)) {
                            long cost = cost(id, view.names(id));
                            lease.shrink(cost);
                            state.reserved -= cost;
                            state.view = view.without(id, live);
                        }
                    }
                    default -> {
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- execs

    @Override
    public CompletableFuture<String> execContainer(String execId) {
        synchronized (execs) {
            String known = execs.get(execId);
            if (known != null) {
                return CompletableFuture.completedFuture(known);
            }
        }
        return small("/exec/" + DaemonImages.encode(execId) + "/json").thenApply(answer -> {
            if (answer.status() == 404) {
                return null;
            }
            if (answer.status() != 200) {
                throw new IllegalStateException("the daemon answered " + answer.status() + " to an exec inspect");
            }
            String container;
            try {
                JsonDocument doc = JsonParser.parseAnswer(answer.body(), SMALL);
                container = doc.kind(JsonDocument.ROOT) == JsonDocument.Kind.OBJECT ? string(doc, JsonDocument.ROOT, "ContainerID") : null;
            } catch (JsonException e) {
                container = null;
            }
            if (container == null) {
                throw new IllegalStateException("the daemon's exec inspect names no container");
            }
            synchronized (execs) {
                execs.put(execId, container);
                if (execs.size() > MAX_EXECS) {
                    execs.remove(execs.keySet().iterator().next());
                }
            }
            return container;
        });
    }

    // ---------------------------------------------------------------- the daemon's answers for missing objects

    @Override
    public CompletableFuture<NotFound> notFound(NotFound.Kind kind, boolean libpod) {
        String key = kind + (libpod ? "/libpod" : "");
        CompletableFuture<NotFound> known = notFound.get(key);
        if (known != null && !known.isCompletedExceptionally()) {
            return known;
        }
        String probe = "cetusguard-no-such-object-" + Long.toHexString(RANDOM.nextLong() & Long.MAX_VALUE);
        String prefix = libpod ? LIBPOD_PREFIX : "";
        // Asked of a container no one has (a random name): the POSTs change nothing.
        String target = switch (kind) {
            case CONTAINER -> prefix + "/containers/" + probe + "/json";
            case KILL -> prefix + "/containers/" + probe + "/kill";
            case ATTACH -> prefix + "/containers/" + probe + "/attach?stream=1&stdout=1";
            case EXEC -> prefix + "/exec/" + probe + "/json";
            case LIST_REFERENCE -> prefix + "/containers/json?filters=" + queryEscape("{\"before\":[\"" + probe + "\"]}");
        };
        HttpMethod method = kind == NotFound.Kind.KILL || kind == NotFound.Kind.ATTACH ? HttpMethod.POST : HttpMethod.GET;
        CompletableFuture<NotFound> learnt = small(method, target).thenApply(answer -> NotFound.learnt(answer.status(), answer.headers(),
                answer.body(), probe));
        notFound.put(key, learnt);
        return learnt;
    }

    // ---------------------------------------------------------------- requests

    /** A small answer of the daemon, whole: status, headers to replay, body. */
    private record Small(int status, List<String[]> headers, byte[] body) {
    }

    private static final Set<String> NOT_REPLAYED = Set.of("date", "content-length", "connection", "transfer-encoding", "keep-alive");

    private CompletableFuture<Small> small(String target) {
        return small(HttpMethod.GET, target);
    }

    private CompletableFuture<Small> small(HttpMethod method, String target) {
        CompletableFuture<Small> result = new CompletableFuture<>();
        BodyBuffer body = new BodyBuffer(lease, MAX_SMALL_ANSWER, -1);
        send(method, target, new Response.Listener() {
            @Override
            public void onContent(Response response, Content.Chunk chunk, Runnable demander) {
                BodyBuffer.Result appended = body.append(chunk.getByteBuffer());
                if (appended != BodyBuffer.Result.OK) {
                    response.abort(appended == BodyBuffer.Result.NO_MEMORY ? new ImageLookup.Busy()
                            : new IllegalStateException("the daemon's answer is too large"));
                    return;
                }
                demander.run();
            }

            @Override
            public void onComplete(Result outcome) {
                if (outcome.isFailed()) {
                    body.release();
                    result.completeExceptionally(outcome.getFailure());
                    return;
                }
                List<String[]> headers = new ArrayList<>();
                for (HttpField field : outcome.getResponse().getHeaders()) {
                    if (!NOT_REPLAYED.contains(field.getLowerCaseName())) {
                        headers.add(new String[] {field.getName(), field.getValue()});
                    }
                }
                byte[] bytes = body.bytes();
                body.release();
                if (bytes == null) {
                    result.completeExceptionally(new ImageLookup.Busy());
                } else {
                    result.complete(new Small(outcome.getResponse().getStatus(), headers, bytes));
                }
            }
        });
        return result;
    }

    private void get(String target, Response.Listener listener) {
        send(HttpMethod.GET, target, listener);
    }

    private void send(HttpMethod method, String target, Response.Listener listener) {
        backend.prepare(backend.httpClient().newRequest(backend.uri(target))).method(method)
                .timeout(TIMEOUT_SECONDS, TimeUnit.SECONDS).send(listener);
    }

    private static String string(JsonDocument doc, int object, String field) {
        int value = doc.exactMember(object, field);
        return value == JsonDocument.ABSENT || doc.kind(value) != JsonDocument.Kind.STRING ? null : doc.string(value);
    }

    /** A query value, every byte but letters and digits percent-encoded. */
    private static String queryEscape(String value) {
        StringBuilder out = new StringBuilder();
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }
}
