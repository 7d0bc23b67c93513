using System.Text;
using System.Text.Json.Nodes;
using Kubesharp.Api.Protobuf;

namespace Kubesharp.Api.Tests.Protobuf;

/// <summary>
/// The bodies the real kubectl 1.32 sends as protobuf (captured by <c>Golden/capture.sh</c>) decode to exactly the
/// JSON kubectl prints for the same objects with <c>--dry-run=client -o json</c>, which is Go's encoding/json of
/// them: same fields, same empty values, same order.
/// </summary>
public sealed class ProtobufGoldenTests
{
    private static readonly string Dir = Path.Combine(AppContext.BaseDirectory, "Protobuf", "Golden");

    public static TheoryData<string> Cases =>
    [
        "configmap", "configmap-empty", "secret-generic", "secret-docker-registry",
        "deployment", "deployment-zero-replicas",
        "service-clusterip", "service-headless", "service-nodeport", "service-loadbalancer", "service-externalname",
        "namespace", "serviceaccount", "job", "job-from-cronjob", "cronjob",
        "role", "rolebinding", "clusterrole", "clusterrole-nonresource", "clusterrole-aggregation", "clusterrolebinding",
        "quota", "priorityclass", "priorityclass-default", "pdb", "pdb-max-unavailable",
        "ingress", "horizontalpodautoscaler",
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_kubectl_body_decodes_to_the_json_kubectl_prints_for_it(string name)
    {
        var expected = JsonNode.Parse(File.ReadAllText(Path.Combine(Dir, name + ".json")))!.ToJsonString();

        var actual = Decode(name).ToJsonString();

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void A_token_request_keeps_its_audience_and_duration()
    {
        var json = Decode("tokenrequest");

        Assert.Equal("TokenRequest", (string?)json["kind"]);
        Assert.Equal("authentication.k8s.io/v1", (string?)json["apiVersion"]);
        Assert.Equal("""["vault"]""", json["spec"]!["audiences"]!.ToJsonString());
        Assert.Equal(600, (long?)json["spec"]!["expirationSeconds"]);
        Assert.Null(json["spec"]!["boundObjectRef"]);
    }

    [Fact]
    public void An_access_review_from_auth_can_i_names_the_verb_and_resource()
    {
        var json = Decode("selfsubjectaccessreview");

        Assert.Equal("SelfSubjectAccessReview", (string?)json["kind"]);
        var attributes = json["spec"]!["resourceAttributes"]!;
        Assert.Equal(("get", "pods", "protobuf-capture"), ((string?)attributes["verb"], (string?)attributes["resource"], (string?)attributes["namespace"]));
    }

    private static JsonNode Decode(string name) =>
        JsonNode.Parse(Encoding.UTF8.GetString(KubernetesProtobuf.ToJson(File.ReadAllBytes(Path.Combine(Dir, name + ".pb")))))!;
}
