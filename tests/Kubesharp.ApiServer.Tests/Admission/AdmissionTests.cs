using k8s;
using k8s.Autorest;
using k8s.Models;
using Kubesharp.ApiServer.Admission;
using Kubesharp.ApiServer.Hosting;
using Kubesharp.ApiServer.Tests.Integration;
using Kubesharp.Storage.Memory;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.ApiServer.Tests.Admission;

/// <summary>The admission plugins through a real server: ServiceAccount, DefaultTolerationSeconds, CSR strategies.</summary>
public sealed class AdmissionTests(SqliteApiServerFixture server) : IClassFixture<SqliteApiServerFixture>
{
    private static V1Pod Pod(string name, bool? automount = null, string? account = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PodSpec
        {
            AutomountServiceAccountToken = automount,
            ServiceAccountName = account,
            InitContainers = [new V1Container { Name = "init", Image = "busybox" }],
            Containers =
            [
                new V1Container { Name = "a", Image = "busybox" },
                new V1Container
                {
                    Name = "b",
                    Image = "busybox",
                    VolumeMounts = [new V1VolumeMount { Name = "own", MountPath = ServiceAccountAdmission.MountPath }],
                },
            ],
            Volumes = [new V1Volume { Name = "own", EmptyDir = new V1EmptyDirVolumeSource() }],
        },
    };

    [SkippableFact]
    public async Task A_new_pod_gets_the_default_account_and_its_projected_api_access_volume_in_every_container_without_one()
    {
        using var client = server.Client();

        var pod = await client.CoreV1.CreateNamespacedPodAsync(Pod("sa-default"), "default");

        Assert.Equal("default", pod.Spec.ServiceAccountName);
        var volume = Assert.Single(pod.Spec.Volumes, v => v.Name.StartsWith("kube-api-access-", StringComparison.Ordinal));
        Assert.Matches("^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$", volume.Name);
        Assert.Equal(420, volume.Projected.DefaultMode);
        Assert.Equal(3607, volume.Projected.Sources[0].ServiceAccountToken.ExpirationSeconds);
        Assert.Equal("token", volume.Projected.Sources[0].ServiceAccountToken.Path);
        Assert.Equal("kube-root-ca.crt", volume.Projected.Sources[1].ConfigMap.Name);
        Assert.Equal("metadata.namespace", volume.Projected.Sources[2].DownwardAPI.Items[0].FieldRef.FieldPath);
        var mount = Assert.Single(pod.Spec.Containers[0].VolumeMounts);
        Assert.Equal((volume.Name, ServiceAccountAdmission.MountPath, true), (mount.Name, mount.MountPath, mount.ReadOnlyProperty == true));
        Assert.Equal(volume.Name, Assert.Single(pod.Spec.InitContainers[0].VolumeMounts).Name);
        // A container with its own mount at the path keeps it.
        Assert.Equal("own", Assert.Single(pod.Spec.Containers[1].VolumeMounts).Name);
    }

    [SkippableFact]
    public async Task Automount_turned_off_on_the_pod_or_its_account_means_no_volume()
    {
        using var client = server.Client();
        await client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "quiet" }, AutomountServiceAccountToken = false }, "default");

        var byPod = await client.CoreV1.CreateNamespacedPodAsync(Pod("sa-off", automount: false), "default");
        var byAccount = await client.CoreV1.CreateNamespacedPodAsync(Pod("sa-quiet", account: "quiet"), "default");
        var podWins = await client.CoreV1.CreateNamespacedPodAsync(Pod("sa-quiet-on", automount: true, account: "quiet"), "default");

        Assert.DoesNotContain(byPod.Spec.Volumes, v => v.Name.StartsWith("kube-api-access-", StringComparison.Ordinal));
        Assert.DoesNotContain(byAccount.Spec.Volumes, v => v.Name.StartsWith("kube-api-access-", StringComparison.Ordinal));
        Assert.Contains(podWins.Spec.Volumes, v => v.Name.StartsWith("kube-api-access-", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task A_new_pod_tolerates_not_ready_and_unreachable_nodes_for_300_seconds_unless_it_says_otherwise()
    {
        using var client = server.Client();
        var own = Pod("tolerant");
        own.Spec.Tolerations = [new V1Toleration { Key = "node.kubernetes.io/unreachable", OperatorProperty = "Exists", Effect = "NoExecute", TolerationSeconds = 5 }];

        var plain = await client.CoreV1.CreateNamespacedPodAsync(Pod("tolerations"), "default");
        var custom = await client.CoreV1.CreateNamespacedPodAsync(own, "default");

        Assert.Equal(
            [("node.kubernetes.io/not-ready", 300L), ("node.kubernetes.io/unreachable", 300L)],
            plain.Spec.Tolerations.Select(t => (t.Key, t.TolerationSeconds ?? -1)).ToList());
        Assert.Equal(
            [("node.kubernetes.io/unreachable", 5L), ("node.kubernetes.io/not-ready", 300L)],
            custom.Spec.Tolerations.Select(t => (t.Key, t.TolerationSeconds ?? -1)).ToList());
    }

    [SkippableFact]
    public async Task A_csr_records_its_requester_and_approval_changes_only_the_decision()
    {
        using var client = server.Client();
        var csr = new V1CertificateSigningRequest
        {
            Metadata = new V1ObjectMeta { Name = "node-csr-1" },
            Spec = new V1CertificateSigningRequestSpec
            {
                Request = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0K"u8.ToArray(),
                SignerName = "kubernetes.io/kube-apiserver-client-kubelet",
                Usages = ["client auth"],
                Username = "someone-else",
                Groups = ["forged"],
            },
        };

        var created = await client.CertificatesV1.CreateCertificateSigningRequestAsync(csr);
        Assert.Equal("system:admin", created.Spec.Username);
        Assert.Contains("system:masters", created.Spec.Groups);
        Assert.DoesNotContain("forged", created.Spec.Groups);

        created.Status = new V1CertificateSigningRequestStatus
        {
            Conditions = [new V1CertificateSigningRequestCondition { Type = "Approved", Status = "True", Reason = "Test", Message = "ok" }],
            Certificate = "forged"u8.ToArray(),
        };
        var approved = await client.CertificatesV1.ReplaceCertificateSigningRequestApprovalAsync(created, created.Metadata.Name);
        Assert.Equal("Approved", Assert.Single(approved.Status.Conditions).Type);
        Assert.Null(approved.Status.Certificate);

        approved.Status.Conditions.Add(new V1CertificateSigningRequestCondition { Type = "Denied", Status = "True" });
        var both = await Assert.ThrowsAsync<HttpOperationException>(() => client.CertificatesV1.ReplaceCertificateSigningRequestApprovalAsync(approved, approved.Metadata.Name));
        Assert.Equal(422, (int)both.Response.StatusCode);
    }

    [Fact]
    public async Task With_accounts_required_a_pod_whose_account_is_missing_is_forbidden()
    {
        var dir = Directory.CreateTempSubdirectory("kubesharp-admission-").FullName;
        await using var store = new MemoryStore();
        await using var host = new ApiServerHost(new ApiServerOptions { DataDir = dir, Port = 0 }, store, NullLoggerFactory.Instance);
        await host.StartAsync(CancellationToken.None);
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(host.KubeconfigPath));

        var missing = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.CreateNamespacedPodAsync(Pod("needs-sa"), "default"));
        await client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "default" } }, "default");
        var created = await client.CoreV1.CreateNamespacedPodAsync(Pod("needs-sa"), "default");

        Assert.Equal(403, (int)missing.Response.StatusCode);
        var status = KubernetesJson.Deserialize<V1Status>(missing.Response.Content);
        Assert.Equal(("Forbidden", "pods \"needs-sa\" is forbidden: error looking up service account default/default: serviceaccount \"default\" not found"), (status.Reason, status.Message));
        Assert.Equal("default", created.Spec.ServiceAccountName);
        await host.StopAsync(CancellationToken.None);
        Directory.Delete(dir, recursive: true);
    }
}
