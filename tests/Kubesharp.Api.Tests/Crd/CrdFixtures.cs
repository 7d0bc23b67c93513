using System.Text.Json.Nodes;
using Kubesharp.Api.Crd;

namespace Kubesharp.Api.Tests.Crd;

/// <summary>CRD documents for tests: a valid one, and ways to change it.</summary>
internal static class CrdFixtures
{
    public const string Widget = """
        {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
         "metadata":{"name":"widgets.example.com","uid":"u1"},
         "spec":{"group":"example.com","scope":"Namespaced",
           "names":{"plural":"widgets","singular":"widget","kind":"Widget","listKind":"WidgetList","shortNames":["wd"]},
           "versions":[{"name":"v1","served":true,"storage":true,
             "subresources":{"status":{},"scale":{"specReplicasPath":".spec.replicas","statusReplicasPath":".status.replicas","labelSelectorPath":".status.selector"}},
             "additionalPrinterColumns":[{"name":"Replicas","type":"integer","jsonPath":".spec.replicas"},{"name":"Color","type":"string","jsonPath":".spec.color","priority":1}],
             "schema":{"openAPIV3Schema":{"type":"object","properties":{
               "spec":{"type":"object","properties":{"replicas":{"type":"integer","minimum":0},"color":{"type":"string","default":"red"}}},
               "status":{"type":"object","properties":{"replicas":{"type":"integer"},"selector":{"type":"string"}}}}}}}]},
         "status":{"acceptedNames":{"plural":"","kind":""},"storedVersions":["v1"]}}
        """;

    public static JsonObject Definition(Action<JsonObject>? change = null)
    {
        var crd = JsonNode.Parse(Widget)!.AsObject();
        change?.Invoke(crd);
        return crd;
    }

    public static JsonObject Spec(JsonObject crd) => crd["spec"]!.AsObject();

    public static JsonObject Version(JsonObject crd, int i = 0) => crd["spec"]!["versions"]![i]!.AsObject();

    public static JsonObject Schema(JsonObject crd, int i = 0) => Version(crd, i)["schema"]!["openAPIV3Schema"]!.AsObject();

    /// <summary>The CRD as the server has established it, ready to serve.</summary>
    public static CrdObject Established(Action<JsonObject>? change = null)
    {
        var crd = Definition(change);
        crd["status"] = new JsonObject
        {
            ["acceptedNames"] = CrdObject.Parse(crd).Names.ToJson(),
            ["storedVersions"] = new JsonArray("v1"),
            ["conditions"] = new JsonArray(
                new JsonObject { ["type"] = "NamesAccepted", ["status"] = "True", ["reason"] = "NoConflicts", ["message"] = "no conflicts found" },
                new JsonObject { ["type"] = "Established", ["status"] = "True", ["reason"] = "InitialNamesAccepted", ["message"] = "the initial names have been accepted" }),
        };
        return CrdObject.Parse(crd);
    }
}
