namespace Kubesharp.Kubelet.Pods;

/// <summary>
/// The labels and annotations the kubelet puts on sandboxes and containers (upstream's names), by which a restarted
/// kubelet finds the pods it was running and what it knew about them.
/// </summary>
public static class RuntimeLabels
{
    public const string PodName = "io.kubernetes.pod.name";
    public const string PodNamespace = "io.kubernetes.pod.namespace";
    public const string PodUid = "io.kubernetes.pod.uid";
    public const string ContainerName = "io.kubernetes.container.name";

    /// <summary>Marks what this kubelet created, as upstream's <c>io.kubernetes.container.type</c>-free sandboxes carry <c>io.kubernetes.pod.*</c>.</summary>
    public const string ManagedBy = "io.kubesharp.managed";

    public const string ContainerHash = "io.kubernetes.container.hash";
    public const string RestartCount = "io.kubernetes.container.restartCount";
    public const string TerminationMessagePath = "io.kubernetes.container.terminationMessagePath";
    public const string TerminationMessagePolicy = "io.kubernetes.container.terminationMessagePolicy";
    public const string TerminationGracePeriod = "io.kubernetes.pod.terminationGracePeriod";

    /// <summary>The host file behind the container's termination message path.</summary>
    public const string TerminationMessageHostPath = "io.kubesharp.terminationMessageHostPath";
}
