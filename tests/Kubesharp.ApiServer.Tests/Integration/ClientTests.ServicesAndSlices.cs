using k8s;
using k8s.Models;

namespace Kubesharp.ApiServer.Tests.Integration;

public abstract partial class ClientTests<TFixture>
{
    [SkippableFact]
    public async Task Deleting_a_service_answers_with_the_service_as_the_typed_client_expects()
    {
        using var client = server.Client();
        await client.CoreV1.CreateNamespacedServiceAsync(
            new V1Service
            {
                Metadata = new V1ObjectMeta { Name = "deleted-svc" },
                Spec = new V1ServiceSpec { Selector = new Dictionary<string, string> { ["app"] = "web" }, Ports = [new V1ServicePort { Port = 80 }] },
            },
            "default");

        var gone = await client.CoreV1.DeleteNamespacedServiceAsync("deleted-svc", "default");

        Assert.Equal(("Service", "deleted-svc"), (gone.Kind, gone.Metadata.Name));
        var list = await client.CoreV1.ListNamespacedServiceAsync("default");
        Assert.DoesNotContain(list.Items, s => s.Metadata.Name == "deleted-svc");
    }

    [SkippableFact]
    public async Task An_endpoint_slice_generation_moves_with_its_content_and_labels_only()
    {
        using var client = server.Client();
        var created = await client.DiscoveryV1.CreateNamespacedEndpointSliceAsync(
            new V1EndpointSlice
            {
                Metadata = new V1ObjectMeta { Name = "gen-slice", Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = "web" } },
                AddressType = "IPv4",
                Endpoints = [new V1Endpoint { Addresses = ["10.42.0.1"] }],
            },
            "default");
        Assert.Equal(1, created.Metadata.Generation);

        created.Endpoints.Add(new V1Endpoint { Addresses = ["10.42.0.2"] });
        var content = await client.DiscoveryV1.ReplaceNamespacedEndpointSliceAsync(created, "gen-slice", "default");
        content.Metadata.Annotations = new Dictionary<string, string> { ["note"] = "x" };
        var annotated = await client.DiscoveryV1.ReplaceNamespacedEndpointSliceAsync(content, "gen-slice", "default");
        annotated.Metadata.Labels["tier"] = "front";
        var labelled = await client.DiscoveryV1.ReplaceNamespacedEndpointSliceAsync(annotated, "gen-slice", "default");

        Assert.Equal((2, 2, 3), (content.Metadata.Generation, annotated.Metadata.Generation, labelled.Metadata.Generation));
        await client.DiscoveryV1.DeleteNamespacedEndpointSliceAsync("gen-slice", "default");
    }
}
