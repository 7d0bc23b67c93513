using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Kubesharp.ApiServer.Hosting;
using Kubesharp.Storage;
using Kubesharp.Storage.Etcd;
using Kubesharp.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using static Kubesharp.ApiServer.Tests.Integration.CrdManifests;

namespace Kubesharp.ApiServer.Tests.Integration;

/// <summary>Two API servers on one etcd: each learns the other's CRDs from storage, not from its own requests.</summary>
public sealed class SharedEtcdCrdTests : IAsyncLifetime
{
    private readonly List<(ApiServerHost Host, IStore Store, string Dir)> _servers = [];
    private EtcdProcess? _etcd;
    private string? _skipReason;

    public async Task InitializeAsync()
    {
        if (EtcdProcess.FindBinary() is not { } binary)
        {
            if (Environment.GetEnvironmentVariable("KUBESHARP_REQUIRE_ETCD") == "1")
            {
                throw new InvalidOperationException("etcd is not on PATH, and KUBESHARP_REQUIRE_ETCD=1 requires it");
            }

            _skipReason = "etcd is not on PATH";
            return;
        }

        _etcd = await EtcdProcess.StartNewAsync(binary);
        for (var i = 0; i < 2; i++)
        {
            var dir = Directory.CreateTempSubdirectory("kubesharp-shared-etcd-").FullName;
            var store = new EtcdStore(new EtcdStoreOptions { Endpoints = _etcd.Endpoint });
            var host = new ApiServerHost(new ApiServerOptions { DataDir = dir, Port = 0, RequireServiceAccounts = false }, store, NullLoggerFactory.Instance);
            await host.StartAsync(CancellationToken.None);
            _servers.Add((host, store, dir));
        }
    }

    private Kubernetes Client(int i)
    {
        Skip.If(_skipReason is not null, _skipReason);
        return new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_servers[i].Host.KubeconfigPath));
    }

    [SkippableFact]
    public async Task A_definition_made_on_one_server_is_served_by_the_other_and_goes_from_both()
    {
        const string Group = "shared.example.com";
        using var a = Client(0);
        using var b = Client(1);

        await a.ApiextensionsV1.CreateCustomResourceDefinitionAsync(KubernetesYaml.Deserialize<V1CustomResourceDefinition>(Widget(Group)));
        await EventuallyAsync("server B serves the kind defined on server A", async () =>
        {
            try
            {
                var resources = await b.CustomObjects.GetAPIResourcesAsync(Group, "v1");
                return resources.Resources.Any(r => r.Name == "widgets");
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                return false;
            }
        });
        var body = JsonNode.Parse($$$"""{"apiVersion":"{{{Group}}}/v1","kind":"Widget","metadata":{"name":"shared"},"spec":{"replicas":2}}""")!;
        await b.CustomObjects.CreateNamespacedCustomObjectAsync(body, Group, "v1", "default", "widgets");
        var readOnA = JsonSerializer.SerializeToElement(await a.CustomObjects.GetNamespacedCustomObjectAsync(Group, "v1", "default", "widgets", "shared"));

        await b.ApiextensionsV1.DeleteCustomResourceDefinitionAsync($"widgets.{Group}");
        foreach (var client in new[] { a, b })
        {
            await EventuallyAsync("both servers stop serving the kind", async () =>
            {
                try
                {
                    await client.CustomObjects.ListNamespacedCustomObjectAsync(Group, "v1", "default", "widgets");
                    return false;
                }
                catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
                {
                    return true;
                }
            });
        }

        Assert.Equal("red", readOnA.GetProperty("spec").GetProperty("color").GetString());
        Assert.Null(await _servers[0].Store.GetAsync($"/registry/{Group}/widgets/default/shared"));
    }

    public async Task DisposeAsync()
    {
        foreach (var (host, store, dir) in _servers)
        {
            await host.StopAsync(CancellationToken.None);
            await host.DisposeAsync();
            await store.DisposeAsync();
            Directory.Delete(dir, recursive: true);
        }

        if (_etcd is not null)
        {
            await _etcd.DisposeAsync();
        }
    }
}
