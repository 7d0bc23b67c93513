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
}
