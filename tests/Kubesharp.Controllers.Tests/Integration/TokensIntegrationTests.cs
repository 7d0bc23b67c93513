using System.Net;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Kubesharp.Controllers.Tokens;

namespace Kubesharp.Controllers.Tests.Integration;

/// <summary>The tokens controller against a real API server, with the key and CA files the server wrote, as the controller manager's identity.</summary>
public sealed class TokensIntegrationTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>
{
    private ControllerRun RunTokensController() => new(
        server.ControllerManager(),
        CertificateControllers.Create(
            ServiceAccountSigning.Load(Path.Combine(server.DataDir, "tls", "service-account.key"), Path.Combine(server.DataDir, "tls", "ca.crt")),
            ca: null).Where(d => d.Name == CertificateControllers.TokensControllerName));

    private static V1Secret TokenSecret(string name, string account) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Annotations = new Dictionary<string, string> { ["kubernetes.io/service-account.name"] = account } },
        Type = "kubernetes.io/service-account-token",
    };

    private static async Task<V1Secret?> ReadAsync(Kubernetes client, string ns, string name)
    {
        try
        {
            return await client.CoreV1.ReadNamespacedSecretAsync(name, ns);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    [Fact]
    public async Task A_legacy_token_secret_is_filled_authenticates_as_its_account_and_goes_with_it()
    {
        const string ns = "tokens-it";
        using var admin = server.Admin();
        await admin.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } });
        var account = await admin.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "builder" } }, ns);
        await using var run = RunTokensController();

        await admin.CoreV1.CreateNamespacedSecretAsync(TokenSecret("builder-token", "builder"), ns);
        var filled = await Eventually.HoldsAsync(() => ReadAsync(admin, ns, "builder-token"), s => s?.Data?.ContainsKey("token") == true, "the token secret gets a token");

        Assert.Equal(File.ReadAllBytes(Path.Combine(server.DataDir, "tls", "ca.crt")), filled!.Data["ca.crt"]);
        Assert.Equal(ns, Encoding.UTF8.GetString(filled.Data["namespace"]));
        Assert.Equal(account.Metadata.Uid, filled.Metadata.Annotations["kubernetes.io/service-account.uid"]);
        using (var robot = server.WithToken(Encoding.UTF8.GetString(filled.Data["token"])))
        {
            var whoami = await robot.AuthenticationV1.CreateSelfSubjectReviewAsync(new V1SelfSubjectReview());
            Assert.Equal("system:serviceaccount:tokens-it:builder", whoami.Status.UserInfo.Username);
            Assert.Contains("system:serviceaccounts:tokens-it", whoami.Status.UserInfo.Groups);
        }

        await admin.CoreV1.DeleteNamespacedServiceAccountAsync("builder", ns);

        await Eventually.HoldsAsync(() => ReadAsync(admin, ns, "builder-token"), s => s is null, "the token secret goes with its account");
    }

    [Fact]
    public async Task A_token_secret_naming_no_account_is_deleted_and_other_secrets_are_left()
    {
        const string ns = "tokens-orphan-it";
        using var admin = server.Admin();
        await admin.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } });
        await admin.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "plain" }, StringData = new Dictionary<string, string> { ["k"] = "v" } }, ns);
        await using var run = RunTokensController();

        await admin.CoreV1.CreateNamespacedSecretAsync(TokenSecret("ghost-token", "ghost"), ns);

        await Eventually.HoldsAsync(() => ReadAsync(admin, ns, "ghost-token"), s => s is null, "the orphan token secret is deleted");
        Assert.NotNull(await ReadAsync(admin, ns, "plain"));
    }
}
