using System.Net.Sockets;
using System.Text;
using k8s;
using k8s.Models;
using Kubesharp.Kubelet.Cri.V1;
using Kubesharp.Kubelet.Volumes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Kubesharp.Kubelet.Tests.Volumes;

public sealed class VolumeManagerTests(InputsApiFixture api) : IClassFixture<InputsApiFixture>, IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("kubesharp-volumes-").FullName;
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly List<(VolumeManager Manager, string Uid)> _pods = [];

    private static readonly bool IsRoot = Environment.UserName == "root";

    public void Dispose()
    {
        foreach (var (manager, uid) in _pods)
        {
            manager.TearDownAsync(uid, CancellationToken.None).GetAwaiter().GetResult();
        }

        Directory.Delete(_root, recursive: true);
    }

    private (VolumeManager Manager, Kubernetes Client) Manager(params DelegatingHandler[] handlers)
    {
        var client = api.Client(handlers);
        return (new VolumeManager(client, new KubeletPaths(Path.Combine(_root, "kubelet")), "node-a", _time, NullLoggerFactory.Instance, new Random(7)), client);
    }

    private static V1Pod Pod(string ns, string uid, params V1Volume[] volumes) => new()
    {
        Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = ns, Uid = uid, Labels = new Dictionary<string, string> { ["app"] = "web" } },
        Spec = new V1PodSpec
        {
            NodeName = "node-a",
            Containers = [new V1Container { Name = "app", Resources = new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("64Mi"), ["cpu"] = new("500m") } } }],
            Volumes = [.. volumes],
        },
    };

    private async Task<PodVolumes> SetUpAsync(VolumeManager manager, V1Pod pod)
    {
        _pods.Add((manager, pod.Metadata.Uid));
        return await manager.SetUpAsync(pod, CancellationToken.None);
    }

    private static string Read(string dir, string name) => File.ReadAllText(Path.Combine(dir, name));

    private static UnixFileMode Mode(int octal) => (UnixFileMode)octal;

    [Fact]
    public async Task An_emptyDir_on_disk_is_a_world_writable_directory_removed_at_teardown()
    {
        var (manager, client) = Manager();
        using var _ = client;
        var pod = Pod("ns", "uid-empty", new V1Volume { Name = "scratch", EmptyDir = new V1EmptyDirVolumeSource() });

        var volumes = await manager.SetUpAsync(pod, CancellationToken.None);

        Assert.True(volumes.TryGet("scratch", out var v));
        Assert.Equal(Path.Combine(_root, "kubelet/pods/uid-empty/volumes/kubernetes.io~empty-dir/scratch"), v.HostPath);
        Assert.False(v.ReadOnly);
        Assert.Equal(Mode(0x1FF), File.GetUnixFileMode(v.HostPath));
        File.WriteAllText(Path.Combine(v.HostPath, "data"), "kept");
        await manager.SetUpAsync(pod, CancellationToken.None);
        Assert.Equal("kept", Read(v.HostPath, "data"));

        await manager.TearDownAsync("uid-empty", CancellationToken.None);
        Assert.False(Directory.Exists(Path.Combine(_root, "kubelet/pods/uid-empty/volumes")));
    }

    [SkippableFact]
    public async Task A_memory_emptyDir_is_a_tmpfs_sized_by_sizeLimit_and_unmounted_at_teardown()
    {
        Skip.IfNot(IsRoot, "mounting tmpfs needs root");
        var (manager, client) = Manager();
        using var _ = client;
        var pod = Pod("ns", "uid-tmpfs", new V1Volume { Name = "shm", EmptyDir = new V1EmptyDirVolumeSource { Medium = "Memory", SizeLimit = new ResourceQuantity("16Mi") } });

        var volumes = await SetUpAsync(manager, pod);
        var path = volumes.Volumes["shm"].HostPath;

        var mount = File.ReadLines("/proc/self/mountinfo").Select(l => l.Split(' ')).Single(f => f[4] == path);
        Assert.Contains("tmpfs", mount);
        Assert.Contains("size=16384k", mount[^1], StringComparison.Ordinal);
        await manager.SetUpAsync(pod, CancellationToken.None); // idempotent: no second mount
        Assert.Single(File.ReadLines("/proc/self/mountinfo"), l => l.Split(' ')[4] == path);

        await manager.TearDownAsync("uid-tmpfs", CancellationToken.None);
        Assert.DoesNotContain(File.ReadLines("/proc/self/mountinfo"), l => l.Split(' ')[4].StartsWith(_root, StringComparison.Ordinal));
        Assert.False(Directory.Exists(path));
    }

    [Fact]
    public void Tmpfs_size_is_the_smaller_of_sizeLimit_and_the_pods_memory_limit()
    {
        var pod = Pod("ns", "u");
        Assert.Equal(64L << 20, VolumeManager.TmpfsSize(pod, null));
        Assert.Equal(16L << 20, VolumeManager.TmpfsSize(pod, new ResourceQuantity("16Mi")));
        Assert.Equal(64L << 20, VolumeManager.TmpfsSize(pod, new ResourceQuantity("1Gi")));
        pod.Spec.Containers.Add(new V1Container { Name = "unlimited" });
        Assert.Null(VolumeManager.TmpfsSize(pod, null));
    }

    public static TheoryData<string, string, string?, string?> HostPathCases() => new()
    {
        { "no type checks nothing", "missing", "", null },
        { "DirectoryOrCreate makes the directory", "new/dir", "DirectoryOrCreate", null },
        { "DirectoryOrCreate accepts a directory", "dir", "DirectoryOrCreate", null },
        { "DirectoryOrCreate refuses a file", "file", "DirectoryOrCreate", "hostPath type check failed: {path} is not a directory" },
        { "Directory accepts a directory", "dir", "Directory", null },
        { "Directory refuses a missing path", "missing", "Directory", "hostPath type check failed: {path} is not a directory" },
        { "FileOrCreate makes the file", "newfile", "FileOrCreate", null },
        { "FileOrCreate refuses a directory", "dir", "FileOrCreate", "hostPath type check failed: {path} is not a file" },
        { "File accepts a file", "file", "File", null },
        { "File follows a symlink to a file", "link", "File", null },
        { "File refuses a directory", "dir", "File", "hostPath type check failed: {path} is not a file" },
        { "Socket accepts a socket", "sock", "Socket", null },
        { "Socket refuses a file", "file", "Socket", "hostPath type check failed: {path} is not a socket file" },
        { "CharDevice accepts /dev/null", "/dev/null", "CharDevice", null },
        { "CharDevice refuses a file", "file", "CharDevice", "hostPath type check failed: {path} is not a character device" },
        { "BlockDevice refuses a character device", "/dev/null", "BlockDevice", "hostPath type check failed: {path} is not a block device" },
        { "an unknown type", "dir", "Pipe", "Pipe is an invalid volume type" },
    };

    [Theory]
    [MemberData(nameof(HostPathCases))]
    public async Task HostPath_types_are_checked_as_upstream(string because, string relative, string? type, string? error)
    {
        var host = Path.Combine(_root, "host");
        Directory.CreateDirectory(Path.Combine(host, "dir"));
        File.WriteAllText(Path.Combine(host, "file"), "x");
        File.CreateSymbolicLink(Path.Combine(host, "link"), "file");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(host, "sock")));
        var path = Path.IsPathRooted(relative) ? relative : Path.Combine(host, relative);
        var (manager, client) = Manager();
        using var _ = client;
        var pod = Pod("ns", "uid-host", new V1Volume { Name = "h", HostPath = new V1HostPathVolumeSource { Path = path, Type = type } });

        if (error is null)
        {
            var volumes = await SetUpAsync(manager, pod);
            Assert.True(path == volumes.Volumes["h"].HostPath, because);
            if (type == "DirectoryOrCreate")
            {
                Assert.True(Directory.Exists(path), because);
            }
            else if (type == "FileOrCreate")
            {
                Assert.True(File.Exists(path), because);
                Assert.Equal(Mode(0x1A4), File.GetUnixFileMode(path));
            }
        }
        else
        {
            var e = await Assert.ThrowsAsync<VolumeSetupException>(() => SetUpAsync(manager, pod));
            Assert.True(error.Replace("{path}", path, StringComparison.Ordinal) == e.Detail, $"{because}: got {e.Detail}");
            Assert.Equal("h", e.VolumeName);
            Assert.Equal($"MountVolume.SetUp failed for volume \"h\" : {e.Detail}", e.Message);
        }
    }

    [SkippableFact]
    public async Task A_block_device_passes_the_BlockDevice_check()
    {
        var device = Directory.Exists("/dev") ? Directory.EnumerateFileSystemEntries("/dev").FirstOrDefault(p => LinuxFs.Kind(p, followSymlinks: false) == FileKind.BlockDevice) : null;
        Skip.If(device is null, "no block device in /dev on this machine");
        var (manager, client) = Manager();
        using var _ = client;
        var volumes = await SetUpAsync(manager, Pod("ns", "uid-block", new V1Volume { Name = "b", HostPath = new V1HostPathVolumeSource { Path = device, Type = "BlockDevice" } }));
        Assert.Equal(device, volumes.Volumes["b"].HostPath);
    }

    [Fact]
    public async Task A_configMap_volume_projects_keys_with_items_modes_and_the_atomic_layout()
    {
        var ns = await api.NamespaceAsync("vol-cm");
        var (manager, client) = Manager();
        using var _ = client;
        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "cfg" },
            Data = new Dictionary<string, string> { ["a.conf"] = "alpha", ["b.conf"] = "beta" },
            BinaryData = new Dictionary<string, byte[]> { ["bin"] = [0, 1, 2] },
        }, ns);
        var pod = Pod(ns, "uid-cm",
            new V1Volume { Name = "all", ConfigMap = new V1ConfigMapVolumeSource { Name = "cfg" } },
            new V1Volume { Name = "some", ConfigMap = new V1ConfigMapVolumeSource { Name = "cfg", DefaultMode = 0x180, Items = [new V1KeyToPath { Key = "a.conf", Path = "sub/dir/a" }, new V1KeyToPath { Key = "b.conf", Path = "b", Mode = 0x124 }] } },
            new V1Volume { Name = "opt", ConfigMap = new V1ConfigMapVolumeSource { Name = "absent", Optional = true } });

        var volumes = await SetUpAsync(manager, pod);

        var all = volumes.Volumes["all"];
        Assert.True(all.ReadOnly);
        Assert.Equal("alpha", Read(all.HostPath, "a.conf"));
        Assert.Equal(new byte[] { 0, 1, 2 }, File.ReadAllBytes(Path.Combine(all.HostPath, "bin")));
        Assert.Equal("..data/a.conf", new FileInfo(Path.Combine(all.HostPath, "a.conf")).LinkTarget);
        var data = new FileInfo(Path.Combine(all.HostPath, "..data")).LinkTarget!;
        Assert.Matches(@"^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.\d+$", data);
        Assert.Equal(Mode(0x1A4), File.GetUnixFileMode(Path.Combine(all.HostPath, data, "a.conf")));

        var some = volumes.Volumes["some"].HostPath;
        Assert.Equal("alpha", Read(some, "sub/dir/a"));
        Assert.Equal("..data/sub", new FileInfo(Path.Combine(some, "sub")).LinkTarget);
        Assert.False(File.Exists(Path.Combine(some, "a.conf")));
        var someData = new FileInfo(Path.Combine(some, "..data")).LinkTarget!;
        Assert.Equal(Mode(0x180), File.GetUnixFileMode(Path.Combine(some, someData, "sub/dir/a")));
        Assert.Equal(Mode(0x124), File.GetUnixFileMode(Path.Combine(some, someData, "b")));

        Assert.Equal(["..data"], Directory.EnumerateFileSystemEntries(volumes.Volumes["opt"].HostPath).Select(Path.GetFileName).Where(n => !n!.StartsWith("..2", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task An_update_swaps_the_data_link_removes_the_old_data_and_dropped_keys_and_a_no_change_refresh_touches_nothing()
    {
        var ns = await api.NamespaceAsync("vol-update");
        var (manager, client) = Manager();
        using var _ = client;
        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "cfg" }, Data = new Dictionary<string, string> { ["keep"] = "1", ["drop"] = "x" } }, ns);
        var pod = Pod(ns, "uid-update", new V1Volume { Name = "c", ConfigMap = new V1ConfigMapVolumeSource { Name = "cfg" } });
        var dir = (await SetUpAsync(manager, pod)).Volumes["c"].HostPath;
        var before = new FileInfo(Path.Combine(dir, "..data")).LinkTarget!;

        _time.Advance(TimeSpan.FromSeconds(5));
        await manager.SetUpAsync(pod, CancellationToken.None);
        Assert.Equal(before, new FileInfo(Path.Combine(dir, "..data")).LinkTarget);

        await client.CoreV1.ReplaceNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "cfg" }, Data = new Dictionary<string, string> { ["keep"] = "2", ["new"] = "n" } }, "cfg", ns);
        await manager.SetUpAsync(pod, CancellationToken.None);

        var after = new FileInfo(Path.Combine(dir, "..data")).LinkTarget!;
        Assert.NotEqual(before, after);
        Assert.False(Directory.Exists(Path.Combine(dir, before)), "the old timestamped directory is removed");
        Assert.Equal("2", Read(dir, "keep"));
        Assert.Equal("n", Read(dir, "new"));
        Assert.Equal(FileKind.Missing, LinuxFs.Kind(Path.Combine(dir, "drop"), followSymlinks: false));
        Assert.Equal(new[] { "..data", "keep", "new", after }.Order(StringComparer.Ordinal), Directory.EnumerateFileSystemEntries(dir).Select(p => Path.GetFileName(p)!).Order(StringComparer.Ordinal));
    }

    [SkippableFact]
    public async Task A_secret_volume_is_on_tmpfs_with_0644_files_by_default()
    {
        Skip.IfNot(IsRoot, "secret volumes are tmpfs mounts, which need root");
        var ns = await api.NamespaceAsync("vol-secret");
        var (manager, client) = Manager();
        using var _ = client;
        await client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "tls" }, Data = new Dictionary<string, byte[]> { ["tls.key"] = Encoding.UTF8.GetBytes("KEY"), ["tls.crt"] = Encoding.UTF8.GetBytes("CRT") } }, ns);
        var pod = Pod(ns, "uid-secret",
            new V1Volume { Name = "s", Secret = new V1SecretVolumeSource { SecretName = "tls" } },
            new V1Volume { Name = "one", Secret = new V1SecretVolumeSource { SecretName = "tls", Items = [new V1KeyToPath { Key = "tls.key", Path = "key.pem", Mode = 0x100 }] } });

        var volumes = await SetUpAsync(manager, pod);

        var dir = volumes.Volumes["s"].HostPath;
        Assert.True(volumes.Volumes["s"].ReadOnly);
        Assert.Equal("KEY", Read(dir, "tls.key"));
        Assert.Equal("CRT", Read(dir, "tls.crt"));
        Assert.Equal(Mode(0x1A4), File.GetUnixFileMode(Path.Combine(dir, new FileInfo(Path.Combine(dir, "..data")).LinkTarget!, "tls.key")));
        Assert.Equal("tmpfs", LinuxFs.MountedFsType(dir));
        var one = volumes.Volumes["one"].HostPath;
        Assert.Equal(Mode(0x100), File.GetUnixFileMode(Path.Combine(one, new FileInfo(Path.Combine(one, "..data")).LinkTarget!, "key.pem")));
    }

    public static TheoryData<string, V1Volume, string> SetupFailures() => new()
    {
        { "a missing ConfigMap", new V1Volume { Name = "v", ConfigMap = new V1ConfigMapVolumeSource { Name = "nope" } }, "configmap \"nope\" not found" },
        { "a missing Secret", new V1Volume { Name = "v", Secret = new V1SecretVolumeSource { SecretName = "nope" } }, "secret \"nope\" not found" },
        { "a missing ConfigMap key", new V1Volume { Name = "v", ConfigMap = new V1ConfigMapVolumeSource { Name = "cfg", Items = [new V1KeyToPath { Key = "k", Path = "k" }] } }, "configmap references non-existent config key: k" },
        { "a missing Secret key", new V1Volume { Name = "v", Secret = new V1SecretVolumeSource { SecretName = "sec", Items = [new V1KeyToPath { Key = "k", Path = "k" }] } }, "references non-existent secret key: k" },
        { "a persistentVolumeClaim", new V1Volume { Name = "v", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = "data" } }, "volume type persistentVolumeClaim is not supported by this kubelet (supported: emptyDir, hostPath, configMap, secret, downwardAPI, projected)" },
        { "an nfs volume", new V1Volume { Name = "v", Nfs = new V1NFSVolumeSource { Server = "s", Path = "/" } }, "volume type nfs is not supported by this kubelet (supported: emptyDir, hostPath, configMap, secret, downwardAPI, projected)" },
        { "a path escaping the volume", new V1Volume { Name = "v", ConfigMap = new V1ConfigMapVolumeSource { Name = "cfg", Items = [new V1KeyToPath { Key = "x", Path = "../x" }] } }, "invalid path: must not contain '..': ../x" },
    };

    [SkippableTheory]
    [MemberData(nameof(SetupFailures))]
    public async Task A_volume_that_cannot_be_set_up_fails_with_upstreams_message_and_the_others_are_still_prepared(string because, V1Volume volume, string detail)
    {
        Skip.IfNot(IsRoot || volume.Secret is null, "secret volumes are tmpfs mounts, which need root");
        var ns = await api.NamespaceAsync("vol-fail");
        var (manager, client) = Manager();
        using var _ = client;
        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "cfg" }, Data = new Dictionary<string, string> { ["x"] = "1" } }, ns);
        await client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "sec" }, Data = new Dictionary<string, byte[]> { ["x"] = [1] } }, ns);
        var pod = Pod(ns, "uid-fail-" + Guid.NewGuid().ToString("N")[..8], volume, new V1Volume { Name = "after", ConfigMap = new V1ConfigMapVolumeSource { Name = "cfg" } });

        var e = await Assert.ThrowsAsync<VolumeSetupException>(() => SetUpAsync(manager, pod));

        Assert.True(detail == e.Detail, $"{because}: got {e.Detail}");
        Assert.Equal($"MountVolume.SetUp failed for volume \"v\" : {detail}", e.Message);
        var after = Path.Combine(_root, "kubelet/pods", pod.Metadata.Uid, "volumes/kubernetes.io~configmap/after");
        Assert.Equal("1", Read(after, "x"));
    }

    [Fact]
    public async Task A_downwardAPI_volume_writes_fields_and_resources_through_the_shared_resolver()
    {
        var (manager, client) = Manager();
        using var _ = client;
        manager.NodeAllocatable = () => new Dictionary<string, ResourceQuantity> { ["memory"] = new("8Gi"), ["cpu"] = new("4") };
        var pod = Pod("ns", "uid-dapi", new V1Volume
        {
            Name = "info",
            DownwardAPI = new V1DownwardAPIVolumeSource
            {
                Items =
                [
                    new V1DownwardAPIVolumeFile { Path = "labels", FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.labels" } },
                    new V1DownwardAPIVolumeFile { Path = "name", FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.name" }, Mode = 0x100 },
                    new V1DownwardAPIVolumeFile { Path = "cpu_limit_m", ResourceFieldRef = new V1ResourceFieldSelector { ContainerName = "app", Resource = "limits.cpu", Divisor = new ResourceQuantity("1m") } },
                    new V1DownwardAPIVolumeFile { Path = "mem_limit_mi", ResourceFieldRef = new V1ResourceFieldSelector { ContainerName = "app", Resource = "limits.memory", Divisor = new ResourceQuantity("1Mi") } },
                    new V1DownwardAPIVolumeFile { Path = "mem_request", ResourceFieldRef = new V1ResourceFieldSelector { ContainerName = "app", Resource = "requests.memory" } },
                ],
            },
        });
        pod.Spec.Containers[0].Resources.Limits.Remove("cpu");

        var dir = (await SetUpAsync(manager, pod)).Volumes["info"].HostPath;

        Assert.Equal("app=\"web\"", Read(dir, "labels"));
        Assert.Equal("web", Read(dir, "name"));
        Assert.Equal("4000", Read(dir, "cpu_limit_m"));
        Assert.Equal("64", Read(dir, "mem_limit_mi"));
        Assert.Equal("0", Read(dir, "mem_request"));
        Assert.Equal(Mode(0x100), File.GetUnixFileMode(Path.Combine(dir, new FileInfo(Path.Combine(dir, "..data")).LinkTarget!, "name")));
    }

    [SkippableFact]
    public async Task The_kube_api_access_volume_gets_a_bound_token_the_ca_and_the_namespace_and_renews_the_token_near_expiry()
    {
        Skip.IfNot(IsRoot, "projected volumes are tmpfs mounts, which need root");
        var ns = await api.NamespaceAsync("vol-token");
        var counter = new TokenRequestCounter();
        var (manager, client) = Manager(counter);
        using var _ = client;
        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "kube-root-ca.crt" }, Data = new Dictionary<string, string> { ["ca.crt"] = "-----BEGIN CERTIFICATE-----" } }, ns);
        var created = await client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "web" },
            Spec = new V1PodSpec { ServiceAccountName = "default", AutomountServiceAccountToken = false, Containers = [new V1Container { Name = "app", Image = "busybox" }] },
        }, ns);
        var pod = Pod(ns, created.Metadata.Uid, new V1Volume
        {
            Name = "kube-api-access-abcde",
            Projected = new V1ProjectedVolumeSource
            {
                DefaultMode = 0x1A4,
                Sources =
                [
                    new V1VolumeProjection { ServiceAccountToken = new V1ServiceAccountTokenProjection { Path = "token", ExpirationSeconds = 3607 } },
                    new V1VolumeProjection { ConfigMap = new V1ConfigMapProjection { Name = "kube-root-ca.crt", Items = [new V1KeyToPath { Key = "ca.crt", Path = "ca.crt" }] } },
                    new V1VolumeProjection { DownwardAPI = new V1DownwardAPIProjection { Items = [new V1DownwardAPIVolumeFile { Path = "namespace", FieldRef = new V1ObjectFieldSelector { ApiVersion = "v1", FieldPath = "metadata.namespace" } }] } },
                ],
            },
        });
        pod.Spec.ServiceAccountName = "default";

        var volume = (await SetUpAsync(manager, pod)).Volumes["kube-api-access-abcde"];

        Assert.True(volume.ReadOnly);
        Assert.Equal("tmpfs", LinuxFs.MountedFsType(volume.HostPath));
        Assert.Equal("-----BEGIN CERTIFICATE-----", Read(volume.HostPath, "ca.crt"));
        Assert.Equal(ns, Read(volume.HostPath, "namespace"));
        var token = Read(volume.HostPath, "token");
        var review = await client.AuthenticationV1.CreateTokenReviewAsync(new V1TokenReview { Spec = new V1TokenReviewSpec { Token = token } });
        Assert.True(review.Status.Authenticated, review.Status.Error);
        Assert.Equal($"system:serviceaccount:{ns}:default", review.Status.User.Username);
        Assert.Contains(created.Metadata.Uid, review.Status.User.Extra["authentication.kubernetes.io/pod-uid"]);
        Assert.Equal(1, counter.Count);

        // Before 80% of the lifetime (2885 s of 3607, less up to 10 s of jitter) the cached token is reused...
        _time.Advance(TimeSpan.FromSeconds(2800));
        await manager.SetUpAsync(pod, CancellationToken.None);
        Assert.Equal(1, counter.Count);
        Assert.Equal(token, Read(volume.HostPath, "token"));

        // ...after it, a new one is requested and written.
        _time.Advance(TimeSpan.FromSeconds(100));
        await manager.SetUpAsync(pod, CancellationToken.None);
        Assert.Equal(2, counter.Count);
    }

    [Fact]
    public async Task Container_mounts_resolve_subPaths_read_only_and_propagation()
    {
        var ns = await api.NamespaceAsync("vol-mounts");
        var (manager, client) = Manager();
        using var _ = client;
        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "cfg" }, Data = new Dictionary<string, string> { ["app.conf"] = "c" } }, ns);
        var outside = Path.Combine(_root, "outside");
        Directory.CreateDirectory(outside);
        var pod = Pod(ns, "uid-mounts",
            new V1Volume { Name = "data", EmptyDir = new V1EmptyDirVolumeSource() },
            new V1Volume { Name = "cfg", ConfigMap = new V1ConfigMapVolumeSource { Name = "cfg" } });
        var volumes = await SetUpAsync(manager, pod);
        var data = volumes.Volumes["data"].HostPath;
        File.CreateSymbolicLink(Path.Combine(data, "escape"), outside);
        var container = new V1Container
        {
            Name = "app",
            VolumeMounts =
            [
                new V1VolumeMount { Name = "data", MountPath = "/data" },
                new V1VolumeMount { Name = "data", MountPath = "/logs", SubPath = "logs/app", ReadOnlyProperty = true, MountPropagation = "HostToContainer" },
                new V1VolumeMount { Name = "data", MountPath = "/per-pod", SubPathExpr = "pods/$(POD_NAME)", MountPropagation = "Bidirectional" },
                new V1VolumeMount { Name = "cfg", MountPath = "/etc/app.conf", SubPath = "app.conf", MountPropagation = "None" },
            ],
        };

        var mounts = manager.ContainerMounts(pod, container, volumes, [new KeyValue { Key = "POD_NAME", Value = "web" }]);

        Assert.Equal(
            [
                ("/data", data, false, MountPropagation.PropagationPrivate),
                ("/logs", Path.Combine(data, "logs/app"), true, MountPropagation.PropagationHostToContainer),
                ("/per-pod", Path.Combine(data, "pods/web"), false, MountPropagation.PropagationBidirectional),
                ("/etc/app.conf", LinuxFs.RealPath(Path.Combine(volumes.Volumes["cfg"].HostPath, "app.conf")), true, MountPropagation.PropagationPrivate),
            ],
            mounts.Select(m => (m.ContainerPath, m.HostPath, m.Readonly, m.Propagation)));
        Assert.True(Directory.Exists(Path.Combine(data, "logs/app")));
        Assert.Equal(Mode(0x1FF), File.GetUnixFileMode(Path.Combine(data, "logs/app")));
    }

    public static TheoryData<string, V1VolumeMount, string> MountFailures() => new()
    {
        { "an unknown volume", new V1VolumeMount { Name = "nope", MountPath = "/x" }, "cannot find volume \"nope\" to mount into container \"app\"" },
        { "an absolute subPath", new V1VolumeMount { Name = "data", MountPath = "/x", SubPath = "/etc" }, "error SubPath `/etc` must not be an absolute path" },
        { "a subPath with ..", new V1VolumeMount { Name = "data", MountPath = "/x", SubPath = "a/../../b" }, "unable to provision SubPath `a/../../b`: must not contain '..'" },
        { "a subPath through a symlink out of the volume", new V1VolumeMount { Name = "data", MountPath = "/x", SubPath = "escape/inner" }, "failed to prepare subPath for volumeMount \"data\" of container \"app\"" },
        { "a subPathExpr with an unset variable", new V1VolumeMount { Name = "data", MountPath = "/x", SubPathExpr = "$(A)/$(UNSET)/$(EMPTY)" }, "missing value for EMPTY, UNSET" },
        { "an unknown propagation", new V1VolumeMount { Name = "data", MountPath = "/x", MountPropagation = "Sideways" }, "invalid MountPropagation mode: \"Sideways\"" },
    };

    [Theory]
    [MemberData(nameof(MountFailures))]
    public async Task Bad_mounts_fail_with_upstreams_messages(string because, V1VolumeMount mount, string message)
    {
        var (manager, client) = Manager();
        using var _ = client;
        var pod = Pod("ns", "uid-badmount-" + Guid.NewGuid().ToString("N")[..8], new V1Volume { Name = "data", EmptyDir = new V1EmptyDirVolumeSource() });
        var volumes = await SetUpAsync(manager, pod);
        File.CreateSymbolicLink(Path.Combine(volumes.Volumes["data"].HostPath, "escape"), _root);

        var e = Assert.Throws<VolumeMountException>(() => manager.ContainerMounts(pod, new V1Container { Name = "app", VolumeMounts = [mount] }, volumes,
            [new KeyValue { Key = "A", Value = "a" }, new KeyValue { Key = "EMPTY", Value = "" }]));

        Assert.True(message == e.Message, $"{because}: got {e.Message}");
        Assert.False(Directory.Exists(Path.Combine(_root, "inner")), "nothing is created outside the volume");
    }

    private sealed class TokenRequestCounter : DelegatingHandler
    {
        private int _count;

        public int Count => _count;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method == HttpMethod.Post && request.RequestUri!.AbsolutePath.EndsWith("/token", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _count);
            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}
