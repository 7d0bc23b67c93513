using System.Runtime.CompilerServices;
using System.Threading.Channels;
using k8s;
using k8s.Models;
using Kubesharp.Client.Cache;

namespace Kubesharp.Testing.Client;

/// <summary>
/// A scripted <see cref="ListWatch{T}"/>. Each list call takes the next scripted answer (waiting for one
/// if none is queued); each watch call is published as a <see cref="FakeWatch"/> that the test drives
/// (send events, end the stream, fail it), or is refused with the next queued exception. Every request
/// is recorded. Thread-safe.
/// </summary>
public sealed class FakeListWatch<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly Channel<Func<ListResult<T>>> _lists = Channel.CreateUnbounded<Func<ListResult<T>>>();
    private readonly Channel<FakeWatch> _watches = Channel.CreateUnbounded<FakeWatch>();
    private readonly Lock _lock = new();
    private readonly Queue<Exception> _refusals = new();
    private int _listCalls;

    public FakeListWatch()
    {
        ListWatch = new ListWatch<T>(ListAsync, WatchAsync);
    }

    public ListWatch<T> ListWatch { get; }

    public int ListCalls => Volatile.Read(ref _listCalls);

    /// <summary>Queues the answer to a list call.</summary>
    public void AddList(string resourceVersion, params T[] items) => _lists.Writer.TryWrite(() => new ListResult<T>(items, resourceVersion));

    /// <summary>Queues a failing list call.</summary>
    public void AddListFailure(Exception exception) => _lists.Writer.TryWrite(() => throw exception);

    /// <summary>The next watch call will throw <paramref name="exception"/> (for example an HTTP 410 as <see cref="ApiStatusException"/>).</summary>
    public void RefuseNextWatch(Exception exception)
    {
        lock (_lock)
        {
            _refusals.Enqueue(exception);
        }
    }

    /// <summary>Waits (bounded) for the next watch call.</summary>
    public async Task<FakeWatch> NextWatchAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        try
        {
            return await _watches.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("no watch call came");
        }
    }

    private async Task<ListResult<T>> ListAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _listCalls);
        var answer = await _lists.Reader.ReadAsync(cancellationToken);
        return answer();
    }

    private async IAsyncEnumerable<WatchEvent<T>> WatchAsync(WatchRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Exception? refusal = null;
        lock (_lock)
        {
            _refusals.TryDequeue(out refusal);
        }

        var watch = new FakeWatch(request, refusal);
        _watches.Writer.TryWrite(watch);
        if (refusal is not null)
        {
            throw refusal;
        }

        await foreach (var e in watch.Events.ReadAllAsync(cancellationToken))
        {
            yield return e;
        }
    }

    /// <summary>One watch call: what was asked, and the stream the test writes.</summary>
    public sealed class FakeWatch(WatchRequest request, Exception? refusedWith)
    {
        private readonly Channel<WatchEvent<T>> _events = Channel.CreateUnbounded<WatchEvent<T>>();

        public WatchRequest Request { get; } = request;

        public Exception? RefusedWith { get; } = refusedWith;

        internal ChannelReader<WatchEvent<T>> Events => _events.Reader;

        public void Send(WatchEventType type, T obj) => _events.Writer.TryWrite(new WatchEvent<T>(type, obj));

        public void SendError(V1Status status) => _events.Writer.TryWrite(new WatchEvent<T>(WatchEventType.Error, null, status));

        /// <summary>The server ends the stream (its timeout).</summary>
        public void End() => _events.Writer.TryComplete();

        /// <summary>The stream breaks.</summary>
        public void Fail(Exception exception) => _events.Writer.TryComplete(exception);
    }
}
