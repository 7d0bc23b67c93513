using k8s;
using k8s.Exceptions;
using k8s.KubeConfigModels;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Kubesharp.Client;

/// <summary>
/// Reads kubeconfig files as <c>KubernetesClientConfiguration.BuildConfigFromConfigFile</c> and
/// <c>LoadKubeConfig</c> do (same model, relative certificate paths resolved against the file), without going through
/// the package's <c>KubernetesYaml</c>: its static initialiser loads every type of the KubernetesClient assembly
/// (<c>GetTypes()</c>, about 6,000 with the async state machines of every API operation) and reflects over every
/// property of every model three times to build YAML attribute overrides. In the agent that was about 5,000 loaded
/// types, 5 MB of live heap and 13-17 MB of resident memory for a file of twenty lines (docs/adr/0021). The file is
/// read into YAML nodes and mapped by hand, which needs no reflection (so it also works when the binary is compiled
/// ahead of time). Fields the package reads and this does not: <c>extensions</c> and <c>preferences</c> (the client
/// ignores both). Thread-safe.
/// </summary>
public static class Kubeconfig
{
    /// <summary>
    /// The kubeconfig at <paramref name="path"/>, with <see cref="K8SConfiguration.FileName"/> set so that relative
    /// certificate and key paths resolve against its directory. Throws <see cref="IOException"/> (and its kin) when
    /// the file cannot be read, <see cref="YamlException"/> or <see cref="KubeConfigException"/> when it is not a
    /// kubeconfig.
    /// </summary>
    public static K8SConfiguration Load(string path)
    {
        var full = Path.GetFullPath(path);
        var config = Parse(File.ReadAllText(full));
        config.FileName = full;
        return config;
    }

    /// <summary>A kubeconfig held in memory (the <c>cluster-info</c> ConfigMap's, for example).</summary>
    public static K8SConfiguration Parse(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new KubeConfigException("the kubeconfig is empty or not a mapping");
        }

        return new K8SConfiguration
        {
            ApiVersion = Scalar(root, "apiVersion"),
            Kind = Scalar(root, "kind"),
            CurrentContext = Scalar(root, "current-context"),
            Clusters = Mappings(root, "clusters", n => new Cluster { Name = Scalar(n, "name"), ClusterEndpoint = Map(n, "cluster", ClusterEndpoint) }),
            Users = Mappings(root, "users", n => new User { Name = Scalar(n, "name"), UserCredentials = Map(n, "user", UserCredentials) }),
            Contexts = Mappings(root, "contexts", n => new Context { Name = Scalar(n, "name"), ContextDetails = Map(n, "context", ContextDetails) }),
        };
    }

    /// <summary>
    /// The client configuration of the kubeconfig at <paramref name="path"/> (its current context), as
    /// <c>KubernetesClientConfiguration.BuildConfigFromConfigFile(path)</c> builds it.
    /// </summary>
    public static KubernetesClientConfiguration Build(string path) =>
        KubernetesClientConfiguration.BuildConfigFromConfigObject(Load(path));

    private static ClusterEndpoint ClusterEndpoint(YamlMappingNode n) => new()
    {
        Server = Scalar(n, "server"),
        CertificateAuthority = Scalar(n, "certificate-authority"),
        CertificateAuthorityData = Scalar(n, "certificate-authority-data"),
        TlsServerName = Scalar(n, "tls-server-name"),
        SkipTlsVerify = Bool(n, "insecure-skip-tls-verify"),
    };

    private static UserCredentials UserCredentials(YamlMappingNode n) => new()
    {
        ClientCertificate = Scalar(n, "client-certificate"),
        ClientCertificateData = Scalar(n, "client-certificate-data"),
        ClientKey = Scalar(n, "client-key"),
        ClientKeyData = Scalar(n, "client-key-data"),
        Token = Scalar(n, "token"),
        Impersonate = Scalar(n, "as"),
        ImpersonateGroups = Items(n, "as-groups", ScalarValue),
        ImpersonateUserExtra = Strings(Child(n, "as-user-extra")) ?? [],
        UserName = Scalar(n, "username"),
        Password = Scalar(n, "password"),
        AuthProvider = Map(n, "auth-provider", a => new AuthProvider { Name = Scalar(a, "name"), Config = Strings(Child(a, "config")) }),
        ExternalExecution = Map(n, "exec", e => new ExternalExecution
        {
            ApiVersion = Scalar(e, "apiVersion"),
            Command = Scalar(e, "command"),
            Arguments = Child(e, "args") is null ? null : Items(e, "args", ScalarValue).ToList(),
            EnvironmentVariables = Child(e, "env") is null ? null : Items(e, "env", v => Strings(v) ?? []).ToList(),
            InstallHint = Scalar(e, "installHint"),
            ProvideClusterInfo = Bool(e, "provideClusterInfo"),
        }),
    };

    private static ContextDetails ContextDetails(YamlMappingNode n) => new()
    {
        Cluster = Scalar(n, "cluster"),
        User = Scalar(n, "user"),
        Namespace = Scalar(n, "namespace"),
    };

    private static YamlNode? Child(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var child) && !IsNull(child) ? child : null;

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    private static string? Scalar(YamlMappingNode node, string key) => Child(node, key) switch
    {
        null => null,
        YamlScalarNode scalar => scalar.Value,
        _ => throw new KubeConfigException($"kubeconfig field {key} is not a scalar"),
    };

    private static string ScalarValue(YamlNode node) =>
        node is YamlScalarNode { Value: { } value } ? value : throw new KubeConfigException("a kubeconfig list item is not a scalar");

    private static bool Bool(YamlMappingNode node, string key) => Scalar(node, key) is { } value
        && (bool.TryParse(value, out var parsed) ? parsed : throw new KubeConfigException($"kubeconfig field {key} is not a boolean: {value}"));

    private static T? Map<T>(YamlMappingNode node, string key, Func<YamlMappingNode, T> map)
        where T : class => Child(node, key) switch
        {
            null => null,
            YamlMappingNode mapping => map(mapping),
            _ => throw new KubeConfigException($"kubeconfig field {key} is not a mapping"),
        };

    private static List<T> Mappings<T>(YamlMappingNode node, string key, Func<YamlMappingNode, T> map) =>
        Items(node, key, item => item is YamlMappingNode mapping ? map(mapping) : throw new KubeConfigException($"an item of kubeconfig field {key} is not a mapping"));

    private static List<T> Items<T>(YamlMappingNode node, string key, Func<YamlNode, T> map) => Child(node, key) switch
    {
        null => [],
        YamlSequenceNode sequence => sequence.Children.Select(map).ToList(),
        _ => throw new KubeConfigException($"kubeconfig field {key} is not a list"),
    };

    private static Dictionary<string, string>? Strings(YamlNode? node) => node switch
    {
        null => null,
        YamlMappingNode mapping => mapping.Children.ToDictionary(
            kv => ScalarValue(kv.Key),
            kv => kv.Value is YamlScalarNode { Value: var v } ? v ?? "" : throw new KubeConfigException("a kubeconfig map value is not a scalar"),
            StringComparer.Ordinal),
        _ => throw new KubeConfigException("a kubeconfig field is not a map of strings"),
    };
}
