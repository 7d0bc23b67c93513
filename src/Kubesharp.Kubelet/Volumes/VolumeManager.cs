// INTERIM (replaced by the inputs branch): the contract only.
#pragma warning disable CA1822, IDE0060
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Kubelet.Volumes;

public sealed class PodVolumes
{
    public Dictionary<string, string> Paths { get; } = [];
}

public sealed class VolumeSetupException(string volumeName, string message) : Exception(message)
{
    public string VolumeName { get; } = volumeName;
}

public sealed class VolumeManager(IKubernetes client, KubeletPaths paths, string nodeName, TimeProvider time, ILoggerFactory loggers)
{
    public Task<PodVolumes> SetUpAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        _ = (client, nodeName, time, loggers, cancellationToken);
        var result = new PodVolumes();
        foreach (var v in pod.Spec.Volumes ?? [])
        {
            var dir = paths.VolumeDir(pod.Metadata.Uid, "kubernetes.io~empty-dir", v.Name);
            Directory.CreateDirectory(dir);
            result.Paths[v.Name] = dir;
        }

        return Task.FromResult(result);
    }

    public IReadOnlyList<Cri.V1.Mount> ContainerMounts(V1Pod pod, V1Container container, PodVolumes volumes) =>
        [.. (container.VolumeMounts ?? []).Where(m => volumes.Paths.ContainsKey(m.Name)).Select(m => new Cri.V1.Mount { ContainerPath = m.MountPath, HostPath = volumes.Paths[m.Name], Readonly = m.ReadOnlyProperty == true })];

    public Task TearDownAsync(string podUid, CancellationToken cancellationToken)
    {
        _ = cancellationToken;
        var dir = paths.PodVolumesDir(podUid);
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, true);
        }

        return Task.CompletedTask;
    }
}
