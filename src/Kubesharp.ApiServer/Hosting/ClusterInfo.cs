using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Kubesharp.ApiServer.Hosting;

/// <summary>
/// The <c>kube-public/cluster-info</c> ConfigMap that <c>kubeadm init</c> publishes and token-based discovery reads
/// (<c>kubeadm join --token</c>, <c>kubesharp agent --token</c>): <c>kubeconfig</c> holds a kubeconfig with one cluster
/// (name empty, the server URL and the cluster CA) and no users; <c>jws-kubeconfig-&lt;token-id&gt;</c> holds, for each
/// signing bootstrap token, a detached JWS (HS256, key the token secret, <c>kid</c> the token id) of that kubeconfig,
/// as upstream's bootstrap signer controller writes it. Anyone may read it (kubeadm's Role
/// <c>kubeadm:bootstrap-signer-clusterinfo</c> binds <c>system:anonymous</c>); a joining node that knows a token
/// checks the signature before it trusts the CA.
/// </summary>
public static class ClusterInfo
{
    public const string Namespace = "kube-public";
    public const string Name = "cluster-info";
    public const string KubeconfigKey = "kubeconfig";
    public const string JwsKeyPrefix = "jws-kubeconfig-";

    /// <summary>The kubeconfig of cluster-info: the server and the CA, no credentials.</summary>
    public static string Kubeconfig(string serverUrl, string caPem) => $"""
        apiVersion: v1
        kind: Config
        clusters:
        - name: ""
          cluster:
            certificate-authority-data: {Convert.ToBase64String(Encoding.ASCII.GetBytes(caPem))}
            server: {serverUrl}
        contexts: []
        current-context: ""
        users: []

        """;

    /// <summary>
    /// The detached JWS compact serialization of <paramref name="content"/> (<c>header..signature</c>: the payload
    /// is left out), HS256 with the token secret as key and the token id as <c>kid</c> (upstream's
    /// <c>jws.ComputeDetachedSignature</c>).
    /// </summary>
    public static string Sign(string content, string tokenId, string tokenSecret)
    {
        var header = Base64Url(Encoding.UTF8.GetBytes(new JsonObject { ["alg"] = "HS256", ["kid"] = tokenId }.ToJsonString()));
        var payload = Base64Url(Encoding.UTF8.GetBytes(content));
        var signature = HMACSHA256.HashData(Encoding.UTF8.GetBytes(tokenSecret), Encoding.ASCII.GetBytes(header + "." + payload));
        return header + ".." + Base64Url(signature);
    }

    /// <summary>The ConfigMap's data for one signing token.</summary>
    public static Dictionary<string, string> Data(string serverUrl, string caPem, string tokenId, string tokenSecret)
    {
        var kubeconfig = Kubeconfig(serverUrl, caPem);
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [KubeconfigKey] = kubeconfig,
            [JwsKeyPrefix + tokenId] = Sign(kubeconfig, tokenId, tokenSecret),
        };
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
