using k8s.Models;

namespace Kubesharp.Kubelet.Server;

/// <summary>A container the kubelet runs (or ran): what the server needs for logs, exec and attach.</summary>
/// <param name="ContainerId">The runtime's container id.</param>
/// <param name="LogPath">The absolute path of its CRI-format log file.</param>
/// <param name="Running">Whether it is running now.</param>
public sealed record ContainerLocation(string ContainerId, string LogPath, bool Running);

/// <summary>What the kubelet's pod workers know, as the HTTPS server reads it.</summary>
public interface IContainerLocator
{
    /// <summary>The pods bound to this node that the kubelet knows, as last seen.</summary>
    IReadOnlyList<V1Pod> Pods { get; }

    /// <summary>
    /// The current instance of a container of a pod on this node, or with <paramref name="previous"/> the instance
    /// before it (the last one that terminated); null when there is none.
    /// </summary>
    ContainerLocation? Find(string ns, string podName, string container, bool previous);
}
