using k8s.Models;
using Kubesharp.Client.Events;

namespace Kubesharp.Controllers.Tests.Fakes;

/// <summary>Keeps every event as "Type Reason Message" (with the object's name in <see cref="On"/>). Thread-safe.</summary>
internal sealed class RecordingEventRecorder : IEventRecorder
{
    private readonly Lock _lock = new();
    private readonly List<(string Object, string Line)> _events = [];

    public IReadOnlyList<string> Events
    {
        get
        {
            lock (_lock)
            {
                return [.. _events.Select(e => e.Line)];
            }
        }
    }

    public IReadOnlyList<string> On(string name)
    {
        lock (_lock)
        {
            return [.. _events.Where(e => e.Object == name).Select(e => e.Line)];
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _events.Clear();
        }
    }

    public void Event(V1ObjectReference involvedObject, string type, string reason, string message)
    {
        lock (_lock)
        {
            _events.Add((involvedObject.Name ?? "", $"{type} {reason} {message}"));
        }
    }
}
