using k8s.Models;
using Kubesharp.Client.Events;

namespace Kubesharp.Kubelet.Tests.Probes;

/// <summary>An <see cref="IEventRecorder"/> that keeps every event it is given, in order. Thread-safe.</summary>
internal sealed class RecordingEventRecorder : IEventRecorder
{
    private readonly Lock _lock = new();
    private readonly List<RecordedEvent> _events = [];

    public IReadOnlyList<RecordedEvent> Events
    {
        get
        {
            lock (_lock)
            {
                return [.. _events];
            }
        }
    }

    public void Event(V1ObjectReference involvedObject, string type, string reason, string message)
    {
        lock (_lock)
        {
            _events.Add(new RecordedEvent(involvedObject, type, reason, message));
        }
    }
}

internal sealed record RecordedEvent(V1ObjectReference InvolvedObject, string Type, string Reason, string Message);
