namespace Kubesharp.Kubelet;

/// <summary>
/// Where the kubelet keeps things on disk, under its root directory (<c>&lt;data-dir&gt;/kubelet</c>):
/// <c>pods/&lt;uid&gt;/volumes/&lt;plugin&gt;/&lt;volume&gt;</c> for volumes (plugin names as upstream, e.g.
/// <c>kubernetes.io~empty-dir</c>), <c>pods/&lt;uid&gt;/containers/&lt;container&gt;/&lt;restart&gt;</c> for termination-message
/// files, <c>pods/&lt;uid&gt;/etc-hosts</c>, and <c>logs/&lt;namespace&gt;_&lt;name&gt;_&lt;uid&gt;/&lt;container&gt;/&lt;restart&gt;.log</c>
/// for container logs (the layout of upstream's <c>/var/log/pods</c>).
/// </summary>
public sealed class KubeletPaths(string root)
{
    public string Root { get; } = Path.GetFullPath(root);

    public string PodsDir => Path.Combine(Root, "pods");

    public string LogsDir => Path.Combine(Root, "logs");

    public string PodDir(string podUid) => Path.Combine(PodsDir, podUid);

    public string PodVolumesDir(string podUid) => Path.Combine(PodDir(podUid), "volumes");

    /// <summary>The directory of one volume; <paramref name="plugin"/> is upstream's escaped plugin name such as <c>kubernetes.io~configmap</c>.</summary>
    public string VolumeDir(string podUid, string plugin, string volumeName) => Path.Combine(PodVolumesDir(podUid), plugin, volumeName);

    public string ContainerDir(string podUid, string container, int restartCount) =>
        Path.Combine(PodDir(podUid), "containers", container, restartCount.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public string EtcHostsPath(string podUid) => Path.Combine(PodDir(podUid), "etc-hosts");

    /// <summary>The sandbox's <c>log_directory</c>; container <c>log_path</c>s are relative to it.</summary>
    public string PodLogsDir(string ns, string name, string podUid) => Path.Combine(LogsDir, $"{ns}_{name}_{podUid}");

    /// <summary>A container's <c>log_path</c>, relative to <see cref="PodLogsDir"/>.</summary>
    public static string ContainerLogRelativePath(string container, int restartCount) =>
        Path.Combine(container, $"{restartCount.ToString(System.Globalization.CultureInfo.InvariantCulture)}.log");

    public string ContainerLogPath(string ns, string name, string podUid, string container, int restartCount) =>
        Path.Combine(PodLogsDir(ns, name, podUid), ContainerLogRelativePath(container, restartCount));
}
