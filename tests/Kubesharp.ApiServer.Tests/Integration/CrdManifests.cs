using System.Text.Json;

namespace Kubesharp.ApiServer.Tests.Integration;

/// <summary>CRD manifests for the integration tests: a namespaced Widget with status, scale and printer columns.</summary>
internal static class CrdManifests
{
    /// <summary>A Widget CRD in <paramref name="group"/> (each test its own group, so that tests sharing a server stay apart).</summary>
    public static string Widget(string group, string scope = "Namespaced", string extraVersions = "") => $$"""
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: widgets.{{group}}
        spec:
          group: {{group}}
          scope: {{scope}}
          names:
            plural: widgets
            singular: widget
            kind: Widget
            shortNames: [wdg]
            categories: [all]
          versions:
          - name: v1
            served: true
            storage: true
            subresources:
              status: {}
              scale:
                specReplicasPath: .spec.replicas
                statusReplicasPath: .status.replicas
                labelSelectorPath: .status.selector
            selectableFields:
            - jsonPath: .spec.color
            additionalPrinterColumns:
            - name: Replicas
              type: integer
              jsonPath: .spec.replicas
            - name: Color
              type: string
              jsonPath: .spec.color
              priority: 1
            - name: Ready
              type: string
              jsonPath: .status.conditions[?(@.type=="Ready")].status
            - name: Age
              type: date
              jsonPath: .metadata.creationTimestamp
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec:
                    type: object
                    required: [replicas]
                    properties:
                      replicas:
                        type: integer
                        minimum: 0
                        maximum: 10
                      color:
                        type: string
                        enum: [red, green, blue]
                        default: red
                      settings:
                        type: object
                        x-kubernetes-preserve-unknown-fields: true
                  status:
                    type: object
                    properties:
                      replicas: {type: integer}
                      selector: {type: string}
                      conditions:
                        type: array
                        items:
                          type: object
                          properties:
                            type: {type: string}
                            status: {type: string}
        {{extraVersions}}
        """;

    /// <summary>A second, served but not stored, version of the Widget, to append to <see cref="Widget"/>'s versions.</summary>
    public const string V1Beta1 = """
          - name: v1beta1
            served: true
            storage: false
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec:
                    type: object
                    x-kubernetes-preserve-unknown-fields: true
                  status:
                    type: object
                    x-kubernetes-preserve-unknown-fields: true
        """;

    public static string WriteTemp(string content, string extension = ".yaml")
    {
        var path = Path.Combine(Path.GetTempPath(), $"kubesharp-crd-{Guid.NewGuid():N}{extension}");
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>Polls <paramref name="probe"/> until it returns true; fails with <paramref name="what"/> after a generous deadline.</summary>
    public static async Task EventuallyAsync(string what, Func<Task<bool>> probe)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!await probe())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting until {what}");
            }

            await Task.Delay(100);
        }
    }

    public static string Condition(JsonElement crd, string type) =>
        crd.TryGetProperty("status", out var status) && status.TryGetProperty("conditions", out var conditions) && conditions.ValueKind == JsonValueKind.Array
            ? conditions.EnumerateArray().Where(c => c.GetProperty("type").GetString() == type).Select(c => c.GetProperty("status").GetString()!).FirstOrDefault() ?? ""
            : "";
}
