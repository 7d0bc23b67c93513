using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Kubesharp.ApiServer.Tests.Integration;

namespace Kubesharp.ApiServer.Tests.Auth;

/// <summary>
/// Authentication and authorization through the real server: anonymous and invalid credentials, the RBAC
/// decision table checked both by SubjectAccessReview and by real requests, service account tokens from
/// TokenRequest, escalation, impersonation and the node rules. Each refusal is checked to have changed nothing.
/// </summary>
public sealed class AuthIntegrationTests(SqliteApiServerFixture server) : IClassFixture<SqliteApiServerFixture>
{
    private static readonly TimeSpan Propagation = TimeSpan.FromSeconds(10);

    private Kubernetes ClientAs(string user, params string[] groups)
    {
        var path = Path.Combine(Path.GetTempPath(), $"kubesharp-{user.Replace(':', '_')}-{Guid.NewGuid():N}.kubeconfig");
        server.Host.Pki!.WriteKubeconfig(path, server.Host.Url!.ToString().TrimEnd('/'), server.Host.Pki.IssueClient(user, groups, TimeSpan.FromHours(1)), user);
        try
        {
            return new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private Kubernetes ClientWithToken(string token)
    {
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(server.Kubeconfig);
        config.ClientCertificateData = null;
        config.ClientCertificateKeyData = null;
        config.ClientCertificateFilePath = null;
        config.ClientKeyFilePath = null;
        config.AccessToken = token;
        return new Kubernetes(config);
    }

    private HttpClient Anonymous(string? bearer = null, X509Certificate2? certificate = null)
    {
        var pki = server.Host.Pki!;
        var handler = new HttpClientHandler();
        if (certificate is not null)
        {
            handler.ClientCertificates.Add(certificate);
        }

        handler.ServerCertificateCustomValidationCallback = (_, cert, _, _) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(pki.Ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return cert is not null && chain.Build(cert);
        };
        var client = new HttpClient(handler) { BaseAddress = server.Host.Url };
        if (bearer is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return client;
    }

    private async Task NamespaceAsync(string name)
    {
        using var admin = server.Client();
        try
        {
            await admin.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } });
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
        }
    }

    private async Task BindAsync(string ns, string name, string clusterRole, string kind, string subject, string? subjectNamespace = null)
    {
        using var admin = server.Client();
        await admin.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(new V1RoleBinding
        {
            Metadata = new V1ObjectMeta { Name = name },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = clusterRole },
            Subjects = [new Rbacv1Subject { Kind = kind, Name = subject, NamespaceProperty = subjectNamespace, ApiGroup = kind == "ServiceAccount" ? null : "rbac.authorization.k8s.io" }],
        }, ns);
    }

    private async Task<bool> AllowedAsync(string user, string[] groups, string verb, string resource, string ns, string group = "")
    {
        using var admin = server.Client();
        var review = await admin.AuthorizationV1.CreateSubjectAccessReviewAsync(new V1SubjectAccessReview
        {
            Spec = new V1SubjectAccessReviewSpec
            {
                User = user,
                Groups = groups,
                ResourceAttributes = new V1ResourceAttributes { Verb = verb, Resource = resource, Group = group, NamespaceProperty = ns },
            },
        });
        return review.Status.Allowed;
    }

    private static string Message(string statusJson) => KubernetesJson.Deserialize<V1Status>(statusJson).Message;

    private static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Propagation;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within the propagation window");
            await Task.Delay(50);
        }
    }

    [SkippableFact]
    public async Task Without_credentials_only_health_and_version_are_served()
    {
        using var anonymous = Anonymous();

        foreach (var path in (string[])["/healthz", "/livez", "/readyz", "/version"])
        {
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(path)).StatusCode);
        }

        var api = await anonymous.GetAsync("/api");
        var pods = await anonymous.GetAsync("/api/v1/namespaces/default/pods");
        var create = await anonymous.PostAsync("/api/v1/namespaces/default/configmaps", new StringContent("""{"metadata":{"name":"anon"}}""", null, "application/json"));

        Assert.Equal(HttpStatusCode.Forbidden, api.StatusCode);
        Assert.Equal("forbidden: User \"system:anonymous\" cannot get path \"/api\"", KubernetesJson.Deserialize<V1Status>(await api.Content.ReadAsStringAsync()).Message);
        var status = KubernetesJson.Deserialize<V1Status>(await pods.Content.ReadAsStringAsync());
        Assert.Equal((403, "Forbidden", "pods is forbidden: User \"system:anonymous\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\""), (status.Code ?? 0, status.Reason, status.Message));
        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
        using var admin = server.Client();
        Assert.DoesNotContain((await admin.CoreV1.ListNamespacedConfigMapAsync("default")).Items, c => c.Metadata.Name == "anon");
    }

    [SkippableFact]
    public async Task Credentials_that_are_present_but_invalid_are_401()
    {
        using var garbage = Anonymous("not-a-token");
        using var empty = Anonymous(" ");
        using var rsa = RSA.Create(2048);
        var foreignCa = new CertificateRequest("CN=other-ca", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        using var foreign = Anonymous(certificate: foreignCa);

        foreach (var client in (HttpClient[])[garbage, foreign])
        {
            var response = await client.GetAsync("/api/v1/namespaces/default/pods");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            var status = KubernetesJson.Deserialize<V1Status>(await response.Content.ReadAsStringAsync());
            Assert.Equal(("Unauthorized", "Unauthorized", 401), (status.Reason, status.Message, status.Code ?? 0));
        }
    }

    [SkippableFact]
    public async Task The_rbac_decision_table_holds_in_reviews_and_in_real_requests()
    {
        await NamespaceAsync("table-a");
        await NamespaceAsync("table-b");
        await BindAsync("table-a", "carol-view", "view", "User", "carol");
        await BindAsync("table-a", "dave-edit", "edit", "User", "dave");
        await BindAsync("table-b", "ops-admin", "admin", "Group", "ops");

        // (user, groups, verb, resource, group, namespace) -> allowed
        (string User, string[] Groups, string Verb, string Resource, string Group, string Ns, bool Allowed)[] table =
        [
            ("carol", [], "list", "pods", "", "table-a", true),
            ("carol", [], "get", "configmaps", "", "table-a", true),
            ("carol", [], "get", "secrets", "", "table-a", false),
            ("carol", [], "create", "configmaps", "", "table-a", false),
            ("carol", [], "list", "pods", "", "table-b", false),
            ("carol", [], "list", "deployments", "apps", "table-a", true),
            ("dave", [], "create", "configmaps", "", "table-a", true),
            ("dave", [], "delete", "deployments", "apps", "table-a", true),
            ("dave", [], "get", "secrets", "", "table-a", true),
            ("dave", [], "create", "rolebindings", "rbac.authorization.k8s.io", "table-a", false),
            ("erin", ["ops"], "create", "rolebindings", "rbac.authorization.k8s.io", "table-b", true),
            ("erin", ["ops"], "create", "pods", "", "table-a", false),
            ("frank", [], "list", "nodes", "", "", false),
            ("root", ["system:masters"], "delete", "nodes", "", "", true),
        ];
        await EventuallyAsync(() => AllowedAsync("carol", [], "list", "pods", "table-a"));
        await EventuallyAsync(() => AllowedAsync("erin", ["ops"], "create", "rolebindings", "table-b", "rbac.authorization.k8s.io"));
        foreach (var row in table)
        {
            Assert.True(row.Allowed == await AllowedAsync(row.User, row.Groups, row.Verb, row.Resource, row.Ns, row.Group), $"{row.User} {row.Verb} {row.Resource} in {row.Ns}");
        }

        using var carol = ClientAs("carol");
        using var dave = ClientAs("dave");
        Assert.NotNull(await carol.CoreV1.ListNamespacedPodAsync("table-a"));
        var forbidden = await Assert.ThrowsAsync<HttpOperationException>(() => carol.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "by-carol" } }, "table-a"));
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.Response.StatusCode);
        Assert.True(Message(forbidden.Response.Content).Contains("User \"carol\" cannot create resource \"configmaps\" in API group \"\" in the namespace \"table-a\"", StringComparison.Ordinal), forbidden.Response.Content);
        await Assert.ThrowsAsync<HttpOperationException>(() => carol.CoreV1.ListNamespacedPodAsync("table-b"));
        var created = await dave.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "by-dave" } }, "table-a");
        Assert.Equal("by-dave", created.Metadata.Name);
        using var admin = server.Client();
        Assert.DoesNotContain((await admin.CoreV1.ListNamespacedConfigMapAsync("table-a")).Items, c => c.Metadata.Name == "by-carol");
    }

    [SkippableFact]
    public async Task A_namespaced_role_naming_nodes_grants_nothing_on_nodes()
    {
        await NamespaceAsync("scoped");
        using var admin = server.Client();
        await admin.RbacAuthorizationV1.CreateNamespacedRoleAsync(new V1Role
        {
            Metadata = new V1ObjectMeta { Name = "nodes-in-ns" },
            Rules = [new V1PolicyRule { ApiGroups = [""], Resources = ["nodes", "configmaps"], Verbs = ["get", "list", "delete"] }],
        }, "scoped");
        await admin.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(new V1RoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "nodes-in-ns" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = "nodes-in-ns" },
            Subjects = [new Rbacv1Subject { Kind = "User", Name = "grace", ApiGroup = "rbac.authorization.k8s.io" }],
        }, "scoped");
        await admin.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = "scoped-node" } });
        await EventuallyAsync(() => AllowedAsync("grace", [], "list", "configmaps", "scoped"));
        using var grace = ClientAs("grace");

        var list = await Assert.ThrowsAsync<HttpOperationException>(() => grace.CoreV1.ListNodeAsync());
        var delete = await Assert.ThrowsAsync<HttpOperationException>(() => grace.CoreV1.DeleteNodeAsync("scoped-node"));

        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.Forbidden), (list.Response.StatusCode, delete.Response.StatusCode));
        Assert.NotNull(await admin.CoreV1.ReadNodeAsync("scoped-node"));
    }

    [SkippableFact]
    public async Task A_service_account_token_from_token_request_drives_the_csharp_client_until_the_account_is_deleted()
    {
        await NamespaceAsync("robots");
        using var admin = server.Client();
        await admin.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "robot" } }, "robots");
        await BindAsync("robots", "robot-edit", "edit", "ServiceAccount", "robot", "robots");
        var request = await admin.CoreV1.CreateNamespacedServiceAccountTokenAsync(new Authenticationv1TokenRequest { Spec = new V1TokenRequestSpec { ExpirationSeconds = 3600 } }, "robot", "robots");
        Assert.NotEmpty(request.Status.Token);
        Assert.Equal(["https://kubernetes.default.svc.cluster.local"], request.Spec.Audiences);
        await EventuallyAsync(() => AllowedAsync("system:serviceaccount:robots:robot", ["system:serviceaccounts", "system:serviceaccounts:robots"], "create", "configmaps", "robots"));
        using var robot = ClientWithToken(request.Status.Token);

        var created = await robot.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "by-robot" } }, "robots");
        var whoami = await robot.AuthenticationV1.CreateSelfSubjectReviewAsync(new V1SelfSubjectReview());
        var outside = await Assert.ThrowsAsync<HttpOperationException>(() => robot.CoreV1.ListNamespacedConfigMapAsync("default"));

        Assert.Equal("by-robot", created.Metadata.Name);
        Assert.Equal("system:serviceaccount:robots:robot", whoami.Status.UserInfo.Username);
        Assert.Equal(["system:serviceaccounts", "system:serviceaccounts:robots", "system:authenticated"], whoami.Status.UserInfo.Groups);
        Assert.Equal(HttpStatusCode.Forbidden, outside.Response.StatusCode);

        var tooShort = await Assert.ThrowsAsync<HttpOperationException>(() => admin.CoreV1.CreateNamespacedServiceAccountTokenAsync(new Authenticationv1TokenRequest { Spec = new V1TokenRequestSpec { ExpirationSeconds = 60 } }, "robot", "robots"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, tooShort.Response.StatusCode);

        await admin.CoreV1.DeleteNamespacedServiceAccountAsync("robot", "robots");
        await EventuallyAsync(async () =>
        {
            try
            {
                await robot.CoreV1.ListNamespacedConfigMapAsync("robots");
                return false;
            }
            catch (HttpOperationException e)
            {
                return e.Response.StatusCode == HttpStatusCode.Unauthorized;
            }
        });
    }

    [SkippableFact]
    public async Task A_namespace_admin_cannot_bind_themselves_to_cluster_admin_and_nothing_is_stored()
    {
        await NamespaceAsync("escalate");
        await BindAsync("escalate", "heidi-admin", "admin", "User", "heidi");
        await EventuallyAsync(() => AllowedAsync("heidi", [], "create", "rolebindings", "escalate", "rbac.authorization.k8s.io"));
        using var heidi = ClientAs("heidi");
        using var admin = server.Client();

        var escalation = await Assert.ThrowsAsync<HttpOperationException>(() => heidi.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(new V1RoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "heidi-root" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "cluster-admin" },
            Subjects = [new Rbacv1Subject { Kind = "User", Name = "heidi", ApiGroup = "rbac.authorization.k8s.io" }],
        }, "escalate"));
        var role = await Assert.ThrowsAsync<HttpOperationException>(() => heidi.RbacAuthorizationV1.CreateNamespacedRoleAsync(new V1Role
        {
            Metadata = new V1ObjectMeta { Name = "nodes-everything" },
            Rules = [new V1PolicyRule { ApiGroups = ["*"], Resources = ["*"], Verbs = ["*"] }],
        }, "escalate"));
        var allowed = await heidi.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(new V1RoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "heidi-view" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "view" },
            Subjects = [new Rbacv1Subject { Kind = "User", Name = "ivan", ApiGroup = "rbac.authorization.k8s.io" }],
        }, "escalate");

        Assert.Equal(HttpStatusCode.Forbidden, escalation.Response.StatusCode);
        Assert.True(Message(escalation.Response.Content).Contains("is attempting to grant RBAC permissions not currently held", StringComparison.Ordinal), escalation.Response.Content);
        Assert.Equal(HttpStatusCode.Forbidden, role.Response.StatusCode);
        Assert.Equal("heidi-view", allowed.Metadata.Name);
        var stored = await admin.RbacAuthorizationV1.ListNamespacedRoleBindingAsync("escalate");
        Assert.DoesNotContain(stored.Items, b => b.Metadata.Name == "heidi-root");
        Assert.DoesNotContain((await admin.RbacAuthorizationV1.ListNamespacedRoleAsync("escalate")).Items, r => r.Metadata.Name == "nodes-everything");
    }

    [SkippableFact]
    public async Task Impersonation_needs_the_impersonate_verb()
    {
        await NamespaceAsync("imp");
        await BindAsync("imp", "judy-view", "view", "User", "judy");
        await EventuallyAsync(() => AllowedAsync("judy", [], "list", "pods", "imp"));
        using var judy = ClientAs("judy");
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(server.Kubeconfig);
        using var judyAsBob = Anonymous(certificate: server.Host.Pki!.IssueClient("judy", [], TimeSpan.FromHours(1)));
        judyAsBob.DefaultRequestHeaders.Add("Impersonate-User", "bob");
        using var adminAsJudy = server.Http();
        adminAsJudy.DefaultRequestHeaders.Add("Impersonate-User", "judy");

        var refused = await judyAsBob.GetAsync("/api/v1/namespaces/imp/pods");
        var asJudyInImp = await adminAsJudy.GetAsync("/api/v1/namespaces/imp/pods");
        var asJudyElsewhere = await adminAsJudy.GetAsync("/api/v1/namespaces/default/secrets");

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("users \"bob\" is forbidden: User \"judy\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope",
            KubernetesJson.Deserialize<V1Status>(await refused.Content.ReadAsStringAsync()).Message);
        Assert.Equal(HttpStatusCode.OK, asJudyInImp.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, asJudyElsewhere.StatusCode);
        var elsewhere = await asJudyElsewhere.Content.ReadAsStringAsync();
        Assert.True(Message(elsewhere).Contains("User \"judy\" cannot list resource \"secrets\"", StringComparison.Ordinal), elsewhere);
        Assert.NotNull(config);
    }

    [SkippableFact]
    public async Task A_node_may_change_only_itself_and_read_only_what_its_pods_use()
    {
        using var admin = server.Client();
        await NamespaceAsync("nodes-ns");
        await admin.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = "node-b" } });
        foreach (var (node, secret) in new[] { ("node-a", "secret-a"), ("node-b", "secret-b") })
        {
            await admin.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = secret }, StringData = new Dictionary<string, string> { ["k"] = "v" } }, "nodes-ns");
            await admin.CoreV1.CreateNamespacedPodAsync(new V1Pod
            {
                Metadata = new V1ObjectMeta { Name = "pod-on-" + node },
                Spec = new V1PodSpec
                {
                    NodeName = node,
                    Containers = [new V1Container { Name = "c", Image = "busybox" }],
                    Volumes = [new V1Volume { Name = "s", Secret = new V1SecretVolumeSource { SecretName = secret } }],
                },
            }, "nodes-ns");
        }

        using var nodeA = ClientAs("system:node:node-a", "system:nodes");
        var own = await nodeA.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = "node-a" } });
        Assert.Equal("node-a", own.Metadata.Name);
        await EventuallyAsync(async () =>
        {
            try
            {
                await nodeA.CoreV1.ReadNamespacedSecretAsync("secret-a", "nodes-ns");
                return true;
            }
            catch (HttpOperationException)
            {
                return false;
            }
        });

        var otherSecret = await Assert.ThrowsAsync<HttpOperationException>(() => nodeA.CoreV1.ReadNamespacedSecretAsync("secret-b", "nodes-ns"));
        var otherNode = await Assert.ThrowsAsync<HttpOperationException>(() => nodeA.CoreV1.PatchNodeAsync(
            new V1Patch("""{"metadata":{"labels":{"taken":"by-a"}}}""", V1Patch.PatchType.MergePatch), "node-b"));
        var otherPodStatus = await Assert.ThrowsAsync<HttpOperationException>(() => nodeA.CoreV1.PatchNamespacedPodStatusAsync(
            new V1Patch("""{"status":{"phase":"Failed"}}""", V1Patch.PatchType.MergePatch), "pod-on-node-b", "nodes-ns"));
        var ownPodStatus = await nodeA.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch("""{"status":{"phase":"Running"}}""", V1Patch.PatchType.MergePatch), "pod-on-node-a", "nodes-ns");

        Assert.Equal(HttpStatusCode.Forbidden, otherSecret.Response.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, otherNode.Response.StatusCode);
        Assert.True(Message(otherNode.Response.Content).Contains("node \"node-a\" is not allowed to modify node \"node-b\"", StringComparison.Ordinal), otherNode.Response.Content);
        Assert.Equal(HttpStatusCode.Forbidden, otherPodStatus.Response.StatusCode);
        Assert.Equal("Running", ownPodStatus.Status.Phase);
        Assert.NotEqual(true, (await admin.CoreV1.ReadNodeAsync("node-b")).Metadata.Labels?.ContainsKey("taken"));
        Assert.NotEqual("Failed", (await admin.CoreV1.ReadNamespacedPodAsync("pod-on-node-b", "nodes-ns")).Status?.Phase);
    }

    [SkippableFact]
    public async Task Kubectl_auth_whoami_can_i_and_as_work()
    {
        await NamespaceAsync("kubectl-auth");
        await BindAsync("kubectl-auth", "kim-view", "view", "User", "kim");
        await EventuallyAsync(() => AllowedAsync("kim", [], "list", "pods", "kubectl-auth"));

        var whoami = await server.KubectlAsync("auth", "whoami");
        var canI = await server.KubectlAsync("auth", "can-i", "create", "pods", "-n", "kubectl-auth", "--as", "kim");
        var canList = await server.KubectlAsync("auth", "can-i", "list", "pods", "-n", "kubectl-auth", "--as", "kim");
        var list = await server.KubectlAsync("auth", "can-i", "--list", "-n", "kubectl-auth", "--as", "kim");
        var getAs = await server.KubectlAsync("get", "secrets", "-n", "kubectl-auth", "--as", "kim");

        Assert.True(whoami.ExitCode == 0, whoami.Stderr);
        Assert.True(whoami.Stdout.Contains("system:admin", StringComparison.Ordinal), whoami.Stdout);
        Assert.True(whoami.Stdout.Contains("system:masters", StringComparison.Ordinal), whoami.Stdout);
        Assert.Equal((1, "no"), (canI.ExitCode, canI.Stdout.Trim()));
        Assert.Equal((0, "yes"), (canList.ExitCode, canList.Stdout.Trim()));
        Assert.True(list.ExitCode == 0, list.Stderr);
        Assert.True(list.Stdout.Contains("pods", StringComparison.Ordinal), list.Stdout);
        Assert.True(list.Stdout.Contains("[get list watch]", StringComparison.Ordinal), list.Stdout);
        Assert.NotEqual(0, getAs.ExitCode);
        Assert.True(getAs.Stderr.Contains("User \"kim\" cannot list resource \"secrets\"", StringComparison.Ordinal), getAs.Stderr);
    }
}
