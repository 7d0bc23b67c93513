using k8s;

namespace Kubesharp.Client.Tests;

/// <summary>
/// <see cref="Kubeconfig"/> against the package's own reader: the same file gives the same client configuration.
/// </summary>
public sealed class KubeconfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kubeconfig-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string, string> Files => new()
    {
        {
            "embedded data, token, namespace, unknown fields",
            """
            apiVersion: v1
            kind: Config
            preferences: {}
            clusters:
            - name: c
              cluster:
                server: https://10.0.0.1:6443
                tls-server-name: kubernetes
                something-new: 1
            users:
            - name: u
              user:
                token: abc.def
            contexts:
            - name: x
              context:
                cluster: c
                user: u
                namespace: kube-system
            current-context: x
            """
        },
        {
            "relative certificate paths, skip-verify, two contexts",
            """
            apiVersion: v1
            kind: Config
            clusters:
            - name: one
              cluster:
                server: https://127.0.0.1:6444
                insecure-skip-tls-verify: true
            - name: two
              cluster:
                server: https://127.0.0.2:6443
            users:
            - name: admin
              user:
                client-certificate: pki/client.crt
                client-key: pki/client.key
            contexts:
            - name: first
              context:
                cluster: one
                user: admin
            - name: second
              context:
                cluster: two
                user: admin
            current-context: second
            """
        },
    };

    [Theory]
    [MemberData(nameof(Files))]
    public void It_builds_what_the_package_builds_from_the_same_file(string name, string yaml)
    {
        var path = Path.Combine(_dir, name.Replace(' ', '-').Replace(',', '_') + ".kubeconfig");
        File.WriteAllText(path, yaml);

        var ours = Kubeconfig.Build(path);
        var theirs = KubernetesClientConfiguration.BuildConfigFromConfigFile(path);

        Assert.Equal(theirs.Host, ours.Host);
        Assert.Equal(theirs.Namespace, ours.Namespace);
        Assert.Equal(theirs.CurrentContext, ours.CurrentContext);
        Assert.Equal(theirs.AccessToken, ours.AccessToken);
        Assert.Equal(theirs.SkipTlsVerify, ours.SkipTlsVerify);
        Assert.Equal(theirs.TlsServerName, ours.TlsServerName);
        Assert.Equal(theirs.ClientCertificateFilePath, ours.ClientCertificateFilePath);
        Assert.Equal(theirs.ClientKeyFilePath, ours.ClientKeyFilePath);
        Assert.Equal(theirs.Username, ours.Username);
        Assert.Equal(theirs.Password, ours.Password);
    }

    [Fact]
    public void It_reads_the_exec_plugin_auth_provider_and_impersonation_fields_as_the_package_does()
    {
        var path = Path.Combine(_dir, "exec.kubeconfig");
        File.WriteAllText(path, """
            apiVersion: v1
            kind: Config
            users:
            - name: u
              user:
                as: someone
                as-groups: [a, b]
                as-user-extra: {scope: x}
                username: admin
                password: secret
                auth-provider:
                  name: oidc
                  config: {client-id: k, idp-issuer-url: "https://idp"}
                exec:
                  apiVersion: client.authentication.k8s.io/v1
                  command: get-token
                  args: [--cluster, one]
                  env:
                  - name: A
                    value: "1"
                  installHint: install it
                  provideClusterInfo: true
            current-context: ""
            """);

        var ours = Kubeconfig.Load(path).Users.Single().UserCredentials;
        var theirs = KubernetesClientConfiguration.LoadKubeConfig(new FileInfo(path)).Users.Single().UserCredentials;

        Assert.Equal(theirs.Impersonate, ours.Impersonate);
        Assert.Equal(theirs.ImpersonateGroups, ours.ImpersonateGroups);
        Assert.Equal(theirs.ImpersonateUserExtra, ours.ImpersonateUserExtra);
        Assert.Equal(theirs.UserName, ours.UserName);
        Assert.Equal(theirs.Password, ours.Password);
        Assert.Equal(theirs.AuthProvider.Name, ours.AuthProvider!.Name);
        Assert.Equal(theirs.AuthProvider.Config, ours.AuthProvider.Config);
        Assert.Equal(theirs.ExternalExecution.ApiVersion, ours.ExternalExecution!.ApiVersion);
        Assert.Equal(theirs.ExternalExecution.Command, ours.ExternalExecution.Command);
        Assert.Equal(theirs.ExternalExecution.Arguments, ours.ExternalExecution.Arguments);
        Assert.Equal(theirs.ExternalExecution.EnvironmentVariables, ours.ExternalExecution.EnvironmentVariables);
        Assert.Equal(theirs.ExternalExecution.InstallHint, ours.ExternalExecution.InstallHint);
        Assert.Equal(theirs.ExternalExecution.ProvideClusterInfo, ours.ExternalExecution.ProvideClusterInfo);
    }

    [Fact]
    public void Relative_paths_resolve_against_the_file_s_directory()
    {
        var path = Path.Combine(_dir, "rel.kubeconfig");
        File.WriteAllText(path, """
            apiVersion: v1
            kind: Config
            clusters:
            - name: c
              cluster: {server: "https://127.0.0.1:6443"}
            users:
            - name: u
              user: {client-certificate: pki/client.crt, client-key: pki/client.key}
            contexts:
            - name: x
              context: {cluster: c, user: u}
            current-context: x
            """);

        var config = Kubeconfig.Build(path);

        Assert.Equal(Path.Combine(_dir, "pki", "client.crt"), config.ClientCertificateFilePath);
        Assert.Equal(Path.Combine(_dir, "pki", "client.key"), config.ClientKeyFilePath);
        Assert.Equal(path, Kubeconfig.Load(path).FileName);
    }
}
