using k8s.Models;
using Kubesharp.Api.Auth;

namespace Kubesharp.ApiServer.Tests.Auth.Authentication;

public sealed class ServiceAccountTokenIssuerTests
{
    private readonly ServiceAccountFixture _f = new();

    private static long Seconds(DateTimeOffset t) => t.ToUnixTimeSeconds();

    [Fact]
    public void A_pod_bound_token_carries_upstreams_claims_exactly()
    {
        var issued = _f.Issuer_.IssueBound(new BoundTokenRequest(_f.Account, ["https://kubernetes.default.svc.cluster.local", "vault"], 3600, Pod: _f.Pod, Node: _f.Node));

        var parts = issued.Token.Split('.');
        Assert.Equal(3, parts.Length);
        Assert.Equal($$"""{"alg":"RS256","kid":"{{TestKeys.Primary.KeyId}}"}""", TestKeys.Decode(parts[0]));
        var now = Seconds(ServiceAccountFixture.Start);
        Assert.Equal(
            $$$"""{"aud":["https://kubernetes.default.svc.cluster.local","vault"],"exp":{{{now + 3600}}},"iat":{{{now}}},"iss":"https://kubernetes.default.svc.cluster.local","jti":"6f2a5c1e-9d7b-4e3f-8a21-0c4b5d6e7f80","kubernetes.io":{"namespace":"ci","node":{"name":"node-a","uid":"node-uid-1"},"pod":{"name":"runner","uid":"pod-uid-1"},"serviceaccount":{"name":"builder","uid":"sa-uid-1"}},"nbf":{{{now}}},"sub":"system:serviceaccount:ci:builder"}""",
            TestKeys.Decode(parts[1]));
        Assert.Equal(ServiceAccountFixture.Start.AddSeconds(3600), issued.ExpirationTimestamp);
    }

    [Fact]
    public void A_secret_bound_token_with_warnafter()
    {
        var secret = new V1Secret { Metadata = new V1ObjectMeta { Name = "s", NamespaceProperty = "ci", Uid = "secret-uid" } };

        var issued = _f.Issuer_.IssueBound(new BoundTokenRequest(_f.Account, ["a"], 3607, Secret: secret, WarnAfterSeconds: 3607));

        var now = Seconds(ServiceAccountFixture.Start);
        Assert.Contains($$$""","kubernetes.io":{"namespace":"ci","secret":{"name":"s","uid":"secret-uid"},"serviceaccount":{"name":"builder","uid":"sa-uid-1"},"warnafter":{{{now + 3607}}}},"nbf":""", TestKeys.Decode(issued.Token.Split('.')[1]), StringComparison.Ordinal);
    }

    [Fact]
    public void A_token_bound_to_a_secret_and_a_pod_is_a_callers_bug()
    {
        var secret = new V1Secret { Metadata = new V1ObjectMeta { Name = "s", NamespaceProperty = "ci", Uid = "u" } };

        Assert.Throws<ArgumentException>(() => _f.Issuer_.IssueBound(new BoundTokenRequest(_f.Account, ["a"], Pod: _f.Pod, Secret: secret)));
    }

    [Fact]
    public void A_legacy_token_has_the_legacy_issuer_and_claims_and_no_expiry()
    {
        var token = _f.Issuer_.IssueLegacy(_f.Account, "builder-token-x7k2p");

        Assert.Equal(
            """{"iss":"kubernetes/serviceaccount","kubernetes.io/serviceaccount/namespace":"ci","kubernetes.io/serviceaccount/secret.name":"builder-token-x7k2p","kubernetes.io/serviceaccount/service-account.name":"builder","kubernetes.io/serviceaccount/service-account.uid":"sa-uid-1","sub":"system:serviceaccount:ci:builder"}""",
            TestKeys.Decode(token.Split('.')[1]));
    }

    [Fact]
    public void Each_token_gets_a_new_random_jti_by_default()
    {
        var issuer = new ServiceAccountTokenIssuer(TestKeys.Primary, _f.Time);

        var a = TestKeys.Decode(issuer.IssueBound(new BoundTokenRequest(_f.Account, ["x"])).Token.Split('.')[1]);
        var b = TestKeys.Decode(issuer.IssueBound(new BoundTokenRequest(_f.Account, ["x"])).Token.Split('.')[1]);

        Assert.NotEqual(a, b);
        Assert.Matches("\"jti\":\"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\"", a);
    }
}
