using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Client.Cache;

internal enum NotificationKind
{
    Add,
    Update,
    Delete,
    Synced,
}

internal readonly record struct Notification<T>(NotificationKind Kind, T? Old, T? New, bool FinalStateUnknown)
    where T : class;

/// <summary>
/// One handler's queue and delivery task (client-go's <c>processorListener</c>). The queue is an unbounded
/// channel, as client-go's growing ring buffer: the informer must never block on (or drop for) one slow
/// handler, because a dropped notification would leave the handler's view wrong until the next resync.
/// </summary>
internal sealed class ProcessorListener<T>(IResourceEventHandler<T> handler, string informer, ILogger logger) : IHandlerRegistration
    where T : class
{
    private readonly Channel<Notification<T>> _queue = Channel.CreateUnbounded<Notification<T>>(new UnboundedChannelOptions { SingleReader = true });
    private long _pending;
    private long _failures;
    private volatile bool _synced;

    public IResourceEventHandler<T> Handler => handler;

    public bool HasSynced => _synced;

    public long Pending => Interlocked.Read(ref _pending);

    public long Failures => Interlocked.Read(ref _failures);

    public void Enqueue(Notification<T> notification)
    {
        Interlocked.Increment(ref _pending);
        if (!_queue.Writer.TryWrite(notification))
        {
            Interlocked.Decrement(ref _pending); // stopped: nobody will read it
        }
    }

    public void Stop() => _queue.Writer.TryComplete();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var n in _queue.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                Interlocked.Decrement(ref _pending);
                Dispatch(n);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The informer stopped; undelivered notifications are dropped with it.
        }
    }

    private void Dispatch(Notification<T> n)
    {
        try
        {
            switch (n.Kind)
            {
                case NotificationKind.Add:
                    handler.OnAdd(n.New!);
                    break;
                case NotificationKind.Update:
                    handler.OnUpdate(n.Old!, n.New!);
                    break;
                case NotificationKind.Delete:
                    handler.OnDelete(n.Old!, n.FinalStateUnknown);
                    break;
                case NotificationKind.Synced:
                    _synced = true;
                    break;
            }
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref _failures);
            InformerLog.HandlerFailed(logger, informer, n.Kind.ToString(), e);
        }
    }
}
