namespace Kubesharp.Kubelet.Env;

/// <summary>
/// A container whose configuration cannot be built from the pod and the objects it references. The worker shows the
/// container as waiting with reason <c>CreateContainerConfigError</c> and this message, and retries on the next sync
/// (the referenced object may appear). <see cref="EnvResolutionException"/> and
/// <see cref="Volumes.VolumeMountException"/> are the two kinds.
/// </summary>
public abstract class ContainerConfigException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>Upstream's waiting reason for these failures.</summary>
    public const string Reason = "CreateContainerConfigError";
}

/// <summary>The container's environment cannot be resolved; the message is upstream's (e.g. <c>configmap "x" not found</c>).</summary>
public sealed class EnvResolutionException(string message, Exception? inner = null) : ContainerConfigException(message, inner);
