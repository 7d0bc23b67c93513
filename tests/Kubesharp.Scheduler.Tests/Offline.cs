using k8s;
using k8s.Models;
using Kubesharp.Client.Events;
using Kubesharp.Scheduler.Framework;
using Kubesharp.Testing.Client;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Scheduler.Tests;

/// <summary>A scheduler with no API server behind it (a client that cannot connect, no events) for whole-cycle tests on the cache alone.</summary>
internal static class Offline
{
    public static Kubernetes Client { get; } = new(new KubernetesClientConfiguration { Host = "https://127.0.0.1:1" });

    public static Scheduler NewScheduler(int seed = 42) =>
        new(Client, new NoEvents(), new FakeClock(), NullLoggerFactory.Instance, [DefaultProfiles.Create(Client)], new SchedulerOptions { Seed = seed });

    /// <summary>One cycle's placement decision for <paramref name="pod"/> on the cache as it is (nothing assumed, nothing bound).</summary>
    public static ScheduleResult Schedule(Scheduler scheduler, V1Pod pod)
    {
        scheduler.Cache.UpdateSnapshot(scheduler.SnapshotForTests);
        return scheduler.SchedulePod(DefaultProfiles.Create(Client), new CycleState(), PodInfo.Of(pod));
    }

    public sealed class NoEvents : IEventRecorder
    {
        public void Event(V1ObjectReference involvedObject, string type, string reason, string message)
        {
        }
    }
}
