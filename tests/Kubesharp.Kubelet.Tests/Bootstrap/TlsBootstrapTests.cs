using System.Security.Cryptography.X509Certificates;
using k8s;
using k8s.Models;
using Kubesharp.ApiServer.Hosting;
using Kubesharp.Controllers;
using Kubesharp.Controllers.CertificateSigning;
using Kubesharp.Kubelet.Bootstrap;
using Kubesharp.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Kubelet.Tests.Bootstrap;

/// <summary>
/// A real API server (in process, as <c>kubesharp server</c> runs it: it writes <c>node-token</c> and publishes
/// <c>kube-public/cluster-info</c>) and a controller manager running only the CSR approving and signing controllers.
/// </summary>
public sealed class BootstrapClusterFixture : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kubesharp-bootstrap-").FullName;
    private SqliteStore? _store;
    private ApiServerHost? _host;
    private ControllerManager? _controllers;

    public Kubernetes Admin { get; private set; } = null!;

    public string Server => _host!.Url!.ToString().TrimEnd('/');

    public string Token => File.ReadAllText(_host!.NodeTokenPath).Trim();

    public X509Certificate2 Ca => _host!.Pki!.Ca;

    private int _agents;

    public string NewDirectory() => Directory.CreateDirectory(Path.Combine(_dir, "agent-" + Interlocked.Increment(ref _agents))).FullName;

    public async Task InitializeAsync()
    {
        _store = await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = Path.Combine(_dir, "db", "state.db"), CompactionInterval = TimeSpan.Zero });
        _host = new ApiServerHost(new ApiServerOptions { DataDir = _dir, Port = 0, RequireServiceAccounts = false }, _store, NullLoggerFactory.Instance);
        await _host.StartAsync(CancellationToken.None);
        Admin = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_host.KubeconfigPath));
        _controllers = ControllerManager.FromKubeconfig(Path.Combine(_dir, "controller-manager.kubeconfig"), new ControllerManagerOptions
        {
            Controllers = [CertificateControllers.ApprovingControllerName, CertificateControllers.SigningControllerName],
            LeaderElect = false,
            Extra = CertificateControllers.Create(null, ClusterSigning.Load(Path.Combine(_dir, "tls", "ca.crt"), Path.Combine(_dir, "tls", "ca.key"))),
        }, NullLoggerFactory.Instance);
        await _controllers.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        if (_controllers is not null)
        {
            await _controllers.DisposeAsync();
        }

        Admin?.Dispose();
        if (_host is not null)
        {
            await _host.StopAsync(CancellationToken.None);
            await _host.DisposeAsync();
        }

        if (_store is not null)
        {
            await _store.DisposeAsync();
        }

        Directory.Delete(_dir, recursive: true);
    }
}

public sealed class TlsBootstrapTests(BootstrapClusterFixture cluster) : IClassFixture<BootstrapClusterFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private static Task<TlsBootstrapResult> JoinAsync(string server, string token, string node, string dir, params string[] pins) =>
        TlsBootstrap.BootstrapAsync(server, token, node, dir, pins, Wait, null, CancellationToken.None);

    [Fact]
    public async Task A_node_joins_with_the_token_and_its_kubeconfig_is_the_node_identity()
    {
        var dir = cluster.NewDirectory();
        var progress = new List<string>();
        var result = await TlsBootstrap.BootstrapAsync(cluster.Server, cluster.Token, "boot-a", dir, [TlsBootstrap.CaCertHash(cluster.Ca)], Wait, progress.Add, CancellationToken.None);

        Assert.False(result.Reused);
        Assert.Equal(Path.Combine(dir, "kubelet.kubeconfig"), result.KubeconfigPath);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(result.KubeconfigPath));
        Assert.Equal(["requesting a node certificate..."], progress);
        Assert.StartsWith("node-csr-", result.CsrName);

        // The request as the server has it: from the token's user, for the kubelet client signer, auto-approved.
        var csr = await cluster.Admin.CertificatesV1.ReadCertificateSigningRequestAsync(result.CsrName);
        Assert.Equal(TlsBootstrap.SignerName, csr.Spec.SignerName);
        Assert.Equal("system:bootstrap:" + cluster.Token[..6], csr.Spec.Username);
        Assert.Contains("system:bootstrappers", csr.Spec.Groups);
        Assert.Equal(["digital signature", "client auth"], csr.Spec.Usages);
        var approved = Assert.Single(csr.Status.Conditions, c => c.Type == "Approved");
        Assert.Equal("AutoApproved", approved.Reason);

        using var node = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(result.KubeconfigPath));
        var review = await node.AuthenticationV1.CreateSelfSubjectReviewAsync(new V1SelfSubjectReview { ApiVersion = "authentication.k8s.io/v1", Kind = "SelfSubjectReview" });
        Assert.Equal("system:node:boot-a", review.Status.UserInfo.Username);
        Assert.Contains("system:nodes", review.Status.UserInfo.Groups);
        Assert.Contains("system:authenticated", review.Status.UserInfo.Groups);

        // The node authorizer lets a node create and read its own Node object.
        await node.CoreV1.CreateNodeAsync(new V1Node { ApiVersion = "v1", Kind = "Node", Metadata = new V1ObjectMeta { Name = "boot-a" } });
        Assert.Equal("boot-a", (await node.CoreV1.ReadNodeAsync("boot-a")).Metadata.Name);
    }

    [Fact]
    public async Task A_second_bootstrap_reuses_the_kubeconfig_without_a_new_request()
    {
        var dir = cluster.NewDirectory();
        var first = await JoinAsync(cluster.Server, cluster.Token, "boot-b", dir);
        var requests = (await cluster.Admin.CertificatesV1.ListCertificateSigningRequestAsync()).Items.Count;
        var written = await File.ReadAllTextAsync(first.KubeconfigPath);

        var second = await JoinAsync(cluster.Server, cluster.Token, "boot-b", dir);

        Assert.True(second.Reused);
        Assert.Null(second.CsrName);
        Assert.Equal(first.KubeconfigPath, second.KubeconfigPath);
        Assert.Equal(written, await File.ReadAllTextAsync(second.KubeconfigPath));
        Assert.Equal(requests, (await cluster.Admin.CertificatesV1.ListCertificateSigningRequestAsync()).Items.Count);

        // Another node name in the same directory is a new identity: a new request.
        var renamed = await JoinAsync(cluster.Server, cluster.Token, "boot-c", dir);
        Assert.False(renamed.Reused);
        Assert.NotNull(renamed.CsrName);
    }

    [Fact]
    public async Task A_token_this_cluster_did_not_sign_fails_before_anything_is_sent_with_it()
    {
        var token = cluster.Token;
        var unknownId = await Assert.ThrowsAsync<TlsBootstrapException>(() => JoinAsync(cluster.Server, "zzzzzz" + token[6..], "boot-d", cluster.NewDirectory()));
        Assert.Contains("This token id \"zzzzzz\" is invalid for this cluster", unknownId.Message);

        var wrongSecret = await Assert.ThrowsAsync<TlsBootstrapException>(() => JoinAsync(cluster.Server, token[..7] + "0000000000000000", "boot-d", cluster.NewDirectory()));
        Assert.Contains("failed to verify JWS signature", wrongSecret.Message);

        var malformed = await Assert.ThrowsAsync<TlsBootstrapException>(() => JoinAsync(cluster.Server, "not-a-token", "boot-d", cluster.NewDirectory()));
        Assert.Contains("not a bootstrap token", malformed.Message);
    }

    [Fact]
    public async Task A_ca_hash_that_does_not_match_the_cluster_ca_fails()
    {
        var dir = cluster.NewDirectory();
        var error = await Assert.ThrowsAsync<TlsBootstrapException>(() => JoinAsync(cluster.Server, cluster.Token, "boot-e", dir, "sha256:" + new string('0', 64)));

        Assert.Contains("cluster CA found in cluster-info ConfigMap is invalid", error.Message);
        Assert.False(File.Exists(Path.Combine(dir, "kubelet.kubeconfig")));
        await Assert.ThrowsAsync<TlsBootstrapException>(() => JoinAsync(cluster.Server, cluster.Token, "boot-e", dir, "md5:abc"));
    }

    [Fact]
    public async Task A_revoked_token_is_refused_by_the_api_server_with_401()
    {
        var token = cluster.Token;
        var name = "bootstrap-token-" + token[..6];
        var secret = await cluster.Admin.CoreV1.ReadNamespacedSecretAsync(name, "kube-system");
        await cluster.Admin.CoreV1.DeleteNamespacedSecretAsync(name, "kube-system");
        try
        {
            // cluster-info still carries its signature, so discovery succeeds; the CSR is refused.
            var error = await Assert.ThrowsAsync<TlsBootstrapException>(() => JoinAsync(cluster.Server, token, "boot-f", cluster.NewDirectory()));
            Assert.Contains("401 Unauthorized", error.Message);
        }
        finally
        {
            secret.Metadata.ResourceVersion = null;
            secret.Metadata.Uid = null;
            secret.Metadata.CreationTimestamp = null;
            await cluster.Admin.CoreV1.CreateNamespacedSecretAsync(secret, "kube-system");
        }
    }
}
