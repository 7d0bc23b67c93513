using Kubesharp.Kubelet.Env;

namespace Kubesharp.Kubelet.Volumes;

/// <summary>One prepared volume: where it is on the host and whether containers must mount it read-only.</summary>
/// <param name="Plugin">Upstream's escaped plugin name (<c>kubernetes.io~configmap</c>), or <c>kubernetes.io~host-path</c>.</param>
public sealed record PodVolume(string Name, string HostPath, bool ReadOnly, string Plugin);

/// <summary>The volumes of one pod that <see cref="VolumeManager.SetUpAsync"/> prepared, by volume name. Immutable.</summary>
public sealed class PodVolumes(IReadOnlyDictionary<string, PodVolume> volumes)
{
    public static PodVolumes Empty { get; } = new(new Dictionary<string, PodVolume>());

    public IReadOnlyDictionary<string, PodVolume> Volumes { get; } = volumes;

    public bool TryGet(string name, out PodVolume volume) => Volumes.TryGetValue(name, out volume!);
}

/// <summary>
/// A volume of the pod could not be set up. <see cref="Exception.Message"/> is upstream's FailedMount event message
/// (<c>MountVolume.SetUp failed for volume "config" : configmap "x" not found</c>); <see cref="Detail"/> is the cause
/// alone. The worker emits a Warning event <see cref="Reason"/> with the message and retries later; the pod's other
/// volumes were still prepared.
/// </summary>
public sealed class VolumeSetupException(string volumeName, string detail, Exception? inner = null)
    : Exception($"MountVolume.SetUp failed for volume \"{volumeName}\" : {detail}", inner)
{
    /// <summary>Upstream's event reason.</summary>
    public const string Reason = "FailedMount";

    public string VolumeName { get; } = volumeName;

    public string Detail { get; } = detail;
}

/// <summary>
/// A container's volumeMount cannot be made (unknown volume, bad or unresolvable subPath, bad propagation): upstream's
/// <c>makeMounts</c> error, shown as <c>CreateContainerConfigError</c>.
/// </summary>
public sealed class VolumeMountException(string message, Exception? inner = null) : ContainerConfigException(message, inner);
