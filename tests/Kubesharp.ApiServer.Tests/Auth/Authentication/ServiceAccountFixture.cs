using System.Text;
using k8s.Models;
using Kubesharp.Api.Auth;
using Kubesharp.ApiServer.Auth.Authentication;
using Microsoft.Extensions.Time.Testing;

namespace Kubesharp.ApiServer.Tests.Auth.Authentication;

/// <summary>A service account, a pod and a node in a fake reader, with an issuer and an authenticator over fake time.</summary>
internal sealed class ServiceAccountFixture
{
    public const string Issuer = ServiceAccountTokenIssuer.DefaultIssuer;
    public static readonly DateTimeOffset Start = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    public ServiceAccountFixture()
    {
        Reader.Put(Account).Put(Pod).Put(Node);
        Issuer_ = new ServiceAccountTokenIssuer(TestKeys.Primary, Time, Issuer, () => "6f2a5c1e-9d7b-4e3f-8a21-0c4b5d6e7f80");
        Authenticator = new ServiceAccountTokenAuthenticator(TestKeys.Primary, Reader, Time, Issuer, [Issuer]);
    }

    public FakeTimeProvider Time { get; } = new(Start);

    public FakeAuthObjectReader Reader { get; } = new();

    public ServiceAccountTokenIssuer Issuer_ { get; }

    public ServiceAccountTokenAuthenticator Authenticator { get; }

    public V1ServiceAccount Account { get; } = new() { Metadata = new V1ObjectMeta { Name = "builder", NamespaceProperty = "ci", Uid = "sa-uid-1" } };

    public V1Pod Pod { get; } = new() { Metadata = new V1ObjectMeta { Name = "runner", NamespaceProperty = "ci", Uid = "pod-uid-1" } };

    public V1Node Node { get; } = new() { Metadata = new V1ObjectMeta { Name = "node-a", Uid = "node-uid-1" } };

    public string PodToken(long expirationSeconds = 3600, IReadOnlyList<string>? audiences = null) =>
        Issuer_.IssueBound(new BoundTokenRequest(Account, audiences ?? [Issuer], expirationSeconds, Pod: Pod, Node: Node)).Token;

    public static V1Secret LegacySecret(string token) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = "builder-token-x7k2p",
            NamespaceProperty = "ci",
            Uid = "secret-uid-1",
            Annotations = new Dictionary<string, string> { ["kubernetes.io/service-account.name"] = "builder", ["kubernetes.io/service-account.uid"] = "sa-uid-1" },
        },
        Type = "kubernetes.io/service-account-token",
        Data = new Dictionary<string, byte[]> { ["token"] = Encoding.UTF8.GetBytes(token) },
    };

    public ValueTask<AuthenticationResult> AuthenticateAsync(string token, IReadOnlyList<string>? audiences = null) =>
        Authenticator.AuthenticateAsync(new AuthenticationRequest(null, token) { Audiences = audiences }, CancellationToken.None);

    public static V1ServiceAccount Clone(V1ServiceAccount account, string uid) =>
        new() { Metadata = new V1ObjectMeta { Name = account.Metadata.Name, NamespaceProperty = account.Metadata.NamespaceProperty, Uid = uid } };
}
