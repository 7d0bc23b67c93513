using k8s;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Controllers;
using Kubesharp.Client.Events;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Controllers;

/// <summary>
/// What every controller is built from: the API client (the only way to the cluster), the shared informer
/// factory all controllers of one manager share (so that each kind is listed and watched once), an event
/// recorder per component name, time and loggers. Built by the controller manager; controllers must not
/// start informers themselves (the manager starts the factory once every controller has asked for its own).
/// </summary>
public sealed record ControllerContext(
    Kubernetes Client,
    SharedInformerFactory Informers,
    Func<string, IEventRecorder> Recorder,
    TimeProvider Time,
    ILoggerFactory Loggers)
{
    /// <summary>The cluster CA bundle (PEM) that the root-ca-certificate-publisher-controller publishes; null when the manager has none.</summary>
    public string? RootCaPem { get; init; }

    /// <summary>Settings of the core controllers (pod GC thresholds, namespace and garbage collector periods).</summary>
    public CoreControllerOptions Core { get; init; } = new();
}

/// <summary>A controller the manager can run: its upstream name (as in <c>--controllers</c>), how to build it, and its default worker count.</summary>
public sealed record ControllerDescriptor(string Name, Func<ControllerContext, IController> Create, int DefaultWorkers = 5);

/// <summary>The controllers of the cluster's plumbing: accounts, tokens, namespaces, garbage collection, RBAC aggregation, endpoints and EndpointSlices.</summary>
public static partial class CoreControllers
{
    public static IReadOnlyList<ControllerDescriptor> All { get; } = Descriptors();
}

/// <summary>The workload controllers: replication controller, ReplicaSet, Deployment.</summary>
public static partial class WorkloadControllers
{
    public static IReadOnlyList<ControllerDescriptor> All { get; } = Descriptors();

    private static partial IReadOnlyList<ControllerDescriptor> Descriptors();
}
