using System.Collections.Concurrent;
using System.Globalization;
using k8s;
using k8s.Models;
using Kubesharp.Api.Quantities;
using Kubesharp.Kubelet.Env;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Kubelet.Volumes;

/// <summary>
/// Prepares a pod's volumes on disk under <c>pods/&lt;uid&gt;/volumes/&lt;plugin&gt;/&lt;name&gt;</c> as upstream's volume
/// plugins do (<c>pkg/volume/*</c>): emptyDir (a 0777 directory, or a tmpfs for <c>medium: Memory</c>), hostPath (the
/// host's path after its type check), configMap and downwardAPI (files on disk), secret and projected (files on a
/// tmpfs, as upstream keeps them off the disk). Files are written with the atomic writer (<c>..data</c> swapped in one
/// rename), so running containers see updates. Other volume kinds are refused as not supported.
/// </summary>
/// <remarks>
/// <para>Contract: <see cref="SetUpAsync"/> is idempotent and is also the refresh: calling it again rewrites the projected
/// contents that changed (ConfigMaps and Secrets are read with one GET per call; upstream watches them) and renews
/// service account tokens past 80% of their lifetime. Calls for one pod are serialised here (a per-pod lock); calls for
/// different pods run concurrently. <see cref="TearDownAsync"/> unmounts and deletes everything the pod had.</para>
/// <para>Failures: a volume that cannot be set up is reported as a <see cref="VolumeSetupException"/> (FailedMount),
/// after every other volume was still prepared; a mount that cannot be made for a container is a
/// <see cref="VolumeMountException"/> (CreateContainerConfigError). Both are worth retrying later.</para>
/// </remarks>
public sealed class VolumeManager
{
    public const string EmptyDirPlugin = "kubernetes.io~empty-dir";
    public const string HostPathPlugin = "kubernetes.io~host-path";
    public const string ConfigMapPlugin = "kubernetes.io~configmap";
    public const string SecretPlugin = "kubernetes.io~secret";
    public const string DownwardApiPlugin = "kubernetes.io~downward-api";
    public const string ProjectedPlugin = "kubernetes.io~projected";

    private readonly ApiObjectReader _reader;
    private readonly KubeletPaths _paths;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ServiceAccountTokens _tokens;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _podLocks = new(StringComparer.Ordinal);

    public VolumeManager(IKubernetes client, KubeletPaths paths, string nodeName, TimeProvider time, ILoggerFactory loggers)
        : this(client, paths, nodeName, time, loggers, new Random())
    {
    }

    /// <param name="random">The source of the token-refresh jitter (seed it in tests).</param>
    internal VolumeManager(IKubernetes client, KubeletPaths paths, string nodeName, TimeProvider time, ILoggerFactory loggers, Random random)
    {
        _reader = new ApiObjectReader(client);
        _paths = paths;
        NodeName = nodeName;
        _time = time;
        _logger = loggers.CreateLogger("kubelet-volumes");
        _tokens = new ServiceAccountTokens(client, time, random);
    }

    public string NodeName { get; }

    /// <summary>
    /// The node's allocatable resources, which downwardAPI items' <c>resourceFieldRef</c> use for limits a container does
    /// not set (as upstream). Unset: such limits read as 0.
    /// </summary>
    public Func<IReadOnlyDictionary<string, ResourceQuantity>>? NodeAllocatable { get; set; }

    /// <summary>How many TokenRequests were sent so far.</summary>
    internal int TokenRequests => _tokens.Requests;

    public async Task<PodVolumes> SetUpAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        var uid = pod.Metadata?.Uid ?? throw new ArgumentException("the pod has no uid", nameof(pod));
        var gate = _podLocks.GetOrAdd(uid, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Directory.CreateDirectory(_paths.PodVolumesDir(uid));
            var prepared = new Dictionary<string, PodVolume>(StringComparer.Ordinal);
            VolumeSetupException? first = null;
            foreach (var volume in pod.Spec?.Volumes ?? [])
            {
                try
                {
                    prepared[volume.Name] = await SetUpVolumeAsync(pod, uid, volume, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is PayloadException or ApiReadException or IOException or UnauthorizedAccessException or InvalidDataException)
                {
                    var failure = new VolumeSetupException(volume.Name, e.Message, e);
                    _logger.LogWarning("{Reason} pod {Namespace}/{Pod}: {Message}", VolumeSetupException.Reason, pod.Metadata?.NamespaceProperty, pod.Metadata?.Name, failure.Message);
                    first ??= failure;
                }
            }

            return first is not null ? throw first : new PodVolumes(prepared);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The CRI mounts of <paramref name="container"/>; <c>subPathExpr</c> expands against no variables.</summary>
    public IReadOnlyList<Cri.V1.Mount> ContainerMounts(V1Pod pod, V1Container container, PodVolumes volumes) =>
        ContainerMounts(pod, container, volumes, env: []);

    /// <summary>
    /// The CRI mounts of <paramref name="container"/>'s volumeMounts (upstream's <c>makeMounts</c>): the volume's host
    /// path, joined with <c>subPath</c> (or <c>subPathExpr</c> expanded against <paramref name="env"/>, the container's
    /// resolved environment); read-only when the mount asks or the volume is a read-only kind; propagation None →
    /// private, HostToContainer, Bidirectional. A missing subPath is created inside the volume; a subPath that resolves
    /// outside the volume is refused.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "Instance member of the worker's contract.")]
    public IReadOnlyList<Cri.V1.Mount> ContainerMounts(V1Pod pod, V1Container container, PodVolumes volumes, IReadOnlyList<Cri.V1.KeyValue> env) =>
        ContainerMountBuilder.Build(container, volumes, env);

    public async Task TearDownAsync(string podUid, CancellationToken cancellationToken)
    {
        var gate = _podLocks.GetOrAdd(podUid, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var dir = _paths.PodVolumesDir(podUid);
            if (Directory.Exists(dir))
            {
                foreach (var (mountPoint, _) in LinuxFs.MountsUnder(dir))
                {
                    LinuxFs.Unmount(mountPoint);
                }

                // A mount left behind would make the delete reach into it: check before deleting.
                if (LinuxFs.MountsUnder(dir).Count > 0)
                {
                    throw new IOException($"mounts are still present under {dir} after unmounting");
                }

                Directory.Delete(dir, recursive: true);
            }

            _tokens.Forget(podUid);
        }
        finally
        {
            gate.Release();
            _podLocks.TryRemove(podUid, out _);
        }
    }

    private async Task<PodVolume> SetUpVolumeAsync(V1Pod pod, string uid, V1Volume volume, CancellationToken cancellationToken)
    {
        var ns = pod.Metadata?.NamespaceProperty ?? "";
        if (volume.HostPath is { } hostPath)
        {
            HostPathCheck.Check(hostPath.Path, hostPath.Type);
            return new PodVolume(volume.Name, hostPath.Path, ReadOnly: false, HostPathPlugin);
        }

        if (volume.ConfigMap is { } cmSource)
        {
            var dir = PrepareDir(pod, uid, ConfigMapPlugin, volume.Name, memory: false, sizeLimit: null);
            var optional = cmSource.Optional == true;
            var cm = await _reader.ConfigMapAsync(ns, cmSource.Name, cancellationToken).ConfigureAwait(false);
            if (cm is null && !optional)
            {
                throw new PayloadException(ApiObjectReader.ConfigMapNotFound(cmSource.Name));
            }

            Write(dir, Payloads.ConfigMap(cmSource.Items, cm ?? new V1ConfigMap(), cmSource.DefaultMode ?? Payloads.DefaultMode, optional));
            return new PodVolume(volume.Name, dir, ReadOnly: true, ConfigMapPlugin);
        }

        if (volume.Secret is { } secretSource)
        {
            var dir = PrepareDir(pod, uid, SecretPlugin, volume.Name, memory: true, sizeLimit: null);
            var optional = secretSource.Optional == true;
            var secret = await _reader.SecretAsync(ns, secretSource.SecretName, cancellationToken).ConfigureAwait(false);
            if (secret is null && !optional)
            {
                throw new PayloadException(ApiObjectReader.SecretNotFound(secretSource.SecretName));
            }

            Write(dir, Payloads.Secret(secretSource.Items, secret ?? new V1Secret(), secretSource.DefaultMode ?? Payloads.DefaultMode, optional));
            return new PodVolume(volume.Name, dir, ReadOnly: true, SecretPlugin);
        }

        if (volume.DownwardAPI is { } downward)
        {
            var dir = PrepareDir(pod, uid, DownwardApiPlugin, volume.Name, memory: false, sizeLimit: null);
            Write(dir, Payloads.DownwardApi(downward.Items, pod, downward.DefaultMode ?? Payloads.DefaultMode, Allocatable()));
            return new PodVolume(volume.Name, dir, ReadOnly: true, DownwardApiPlugin);
        }

        if (volume.Projected is { } projected)
        {
            var dir = PrepareDir(pod, uid, ProjectedPlugin, volume.Name, memory: true, sizeLimit: null);
            Write(dir, await ProjectedPayloadAsync(pod, projected, cancellationToken).ConfigureAwait(false));
            return new PodVolume(volume.Name, dir, ReadOnly: true, ProjectedPlugin);
        }

        if (UnsupportedKind(volume) is { } kind)
        {
            throw new PayloadException($"volume type {kind} is not supported by this kubelet (supported: emptyDir, hostPath, configMap, secret, downwardAPI, projected)");
        }

        // emptyDir, or no source at all (which the API server defaults to emptyDir).
        var emptyDir = volume.EmptyDir;
        var medium = emptyDir?.Medium ?? "";
        if (medium is not ("" or "Memory"))
        {
            throw new PayloadException($"unsupported emptyDir medium \"{medium}\" (supported: \"\" and \"Memory\")");
        }

        var path = PrepareDir(pod, uid, EmptyDirPlugin, volume.Name, memory: medium == "Memory", emptyDir?.SizeLimit);
        return new PodVolume(volume.Name, path, ReadOnly: false, EmptyDirPlugin);
    }

    /// <summary>
    /// Upstream's projected <c>collectData</c>: each source's files merged into one payload, with the volume's default mode;
    /// failures of all sources are reported together.
    /// </summary>
    private async Task<Dictionary<string, FileProjection>> ProjectedPayloadAsync(V1Pod pod, V1ProjectedVolumeSource projected, CancellationToken cancellationToken)
    {
        var ns = pod.Metadata?.NamespaceProperty ?? "";
        var defaultMode = projected.DefaultMode ?? Payloads.DefaultMode;
        var payload = new Dictionary<string, FileProjection>(StringComparer.Ordinal);
        var errors = new List<string>();
        foreach (var source in projected.Sources ?? [])
        {
            try
            {
                Dictionary<string, FileProjection> part;
                if (source.ConfigMap is { } cmSource)
                {
                    var optional = cmSource.Optional == true;
                    var cm = await _reader.ConfigMapAsync(ns, cmSource.Name, cancellationToken).ConfigureAwait(false);
                    if (cm is null && !optional)
                    {
                        throw new PayloadException(ApiObjectReader.ConfigMapNotFound(cmSource.Name));
                    }

                    part = Payloads.ConfigMap(cmSource.Items, cm ?? new V1ConfigMap(), defaultMode, optional);
                }
                else if (source.Secret is { } secretSource)
                {
                    var optional = secretSource.Optional == true;
                    var secret = await _reader.SecretAsync(ns, secretSource.Name, cancellationToken).ConfigureAwait(false);
                    if (secret is null && !optional)
                    {
                        throw new PayloadException(ApiObjectReader.SecretNotFound(secretSource.Name));
                    }

                    part = Payloads.Secret(secretSource.Items, secret ?? new V1Secret(), defaultMode, optional);
                }
                else if (source.DownwardAPI is { } downward)
                {
                    part = Payloads.DownwardApi(downward.Items, pod, defaultMode, Allocatable());
                }
                else if (source.ServiceAccountToken is { } tokenSource)
                {
                    var account = pod.Spec?.ServiceAccountName is { Length: > 0 } sa ? sa : "default";
                    var token = await _tokens.GetAsync(ns, account, tokenSource.Audience, tokenSource.ExpirationSeconds ?? 3600,
                        pod.Metadata?.Name ?? "", pod.Metadata?.Uid ?? "", cancellationToken).ConfigureAwait(false);
                    part = new Dictionary<string, FileProjection>(StringComparer.Ordinal)
                    {
                        [tokenSource.Path] = new FileProjection(System.Text.Encoding.UTF8.GetBytes(token), defaultMode),
                    };
                }
                else
                {
                    throw new PayloadException("projected volume source is not supported by this kubelet (supported: configMap, secret, downwardAPI, serviceAccountToken)");
                }

                foreach (var (key, value) in part)
                {
                    payload[key] = value;
                }
            }
            catch (Exception e) when (e is PayloadException or ApiReadException)
            {
                errors.Add(e.Message);
            }
        }

        return errors.Count > 0 ? throw new PayloadException(Payloads.Aggregate(errors)) : payload;
    }

    private void Write(string dir, Dictionary<string, FileProjection> payload)
    {
        new AtomicWriter(dir, _time).Write(payload);
    }

    private IReadOnlyDictionary<string, ResourceQuantity> Allocatable() =>
        NodeAllocatable?.Invoke() ?? new Dictionary<string, ResourceQuantity>();

    /// <summary>
    /// Upstream's emptyDir set-up, also under the volumes it wraps: a 0777 directory, and for memory a tmpfs mounted on
    /// it (once: an existing tmpfs mount is kept, with its contents) sized like upstream's
    /// <c>calculateEmptyDirMemorySize</c>: the smaller of the volume's sizeLimit and the pod's memory limit, when known.
    /// </summary>
    private string PrepareDir(V1Pod pod, string uid, string plugin, string name, bool memory, ResourceQuantity? sizeLimit)
    {
        var dir = _paths.VolumeDir(uid, plugin, name);
        Directory.CreateDirectory(dir);
        if (memory)
        {
            var mounted = LinuxFs.MountedFsType(dir);
            if (mounted is null)
            {
                var size = TmpfsSize(pod, sizeLimit);
                LinuxFs.MountTmpfs(dir, size is { } bytes ? "size=" + bytes.ToString(CultureInfo.InvariantCulture) : null);
            }
            else if (mounted != "tmpfs")
            {
                throw new PayloadException($"{dir} is already a {mounted} mount, not a tmpfs");
            }
        }

        File.SetUnixFileMode(dir, (UnixFileMode)0x1FF); // 0777, as upstream's emptyDir
        return dir;
    }

    internal static long? TmpfsSize(V1Pod pod, ResourceQuantity? sizeLimit)
    {
        long? size = PodMemoryLimit(pod);
        if (sizeLimit is not null)
        {
            var volumeLimit = Quantity.Parse(sizeLimit.ToString()).Value();
            if (volumeLimit > 0 && (size is null || volumeLimit <= size))
            {
                size = volumeLimit;
            }
        }

        return size;
    }

    // The pod's memory limit as its cgroup gets it: the sum over app containers, at least the largest init container's;
    // unknown (null) when any app container has no limit.
    private static long? PodMemoryLimit(V1Pod pod)
    {
        long sum = 0;
        foreach (var c in pod.Spec?.Containers ?? [])
        {
            if (c.Resources?.Limits is not { } limits || !limits.TryGetValue("memory", out var q) || q is null)
            {
                return null;
            }

            sum += Quantity.Parse(q.ToString()).Value();
        }

        foreach (var c in pod.Spec?.InitContainers ?? [])
        {
            if (c.Resources?.Limits is { } limits && limits.TryGetValue("memory", out var q) && q is not null)
            {
                sum = Math.Max(sum, Quantity.Parse(q.ToString()).Value());
            }
        }

        return sum > 0 ? sum : null;
    }

    private static string? UnsupportedKind(V1Volume v) => v switch
    {
        { PersistentVolumeClaim: not null } => "persistentVolumeClaim",
        { Csi: not null } => "csi",
        { Nfs: not null } => "nfs",
        { Iscsi: not null } => "iscsi",
        { Ephemeral: not null } => "ephemeral",
        { Image: not null } => "image",
        { GitRepo: not null } => "gitRepo",
        { Rbd: not null } => "rbd",
        { Cephfs: not null } => "cephfs",
        { Glusterfs: not null } => "glusterfs",
        { Fc: not null } => "fc",
        { FlexVolume: not null } => "flexVolume",
        { AwsElasticBlockStore: not null } => "awsElasticBlockStore",
        { GcePersistentDisk: not null } => "gcePersistentDisk",
        { AzureDisk: not null } => "azureDisk",
        { AzureFile: not null } => "azureFile",
        { Cinder: not null } => "cinder",
        { VsphereVolume: not null } => "vsphereVolume",
        { EmptyDir: not null } => null,
        _ => null,
    };
}
