using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kubesharp.Api.Errors;
using Kubesharp.Api.Resources;
using Kubesharp.ApiServer.Cache;
using Kubesharp.ApiServer.Http;
using Kubesharp.ApiServer.Rest;
using Kubesharp.Storage.Memory;
using Kubesharp.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.ApiServer.Tests.Rest;

/// <summary>
/// Binding and eviction when another writer gets in between their read and their compare-and-swap: the
/// competing write is slipped in by the store itself, so that each race happens every time.
/// </summary>
public sealed class PodActionConflictTests : IAsyncLifetime
{
    private const string PodKey = "/registry/pods/ns/p";
    private const string BudgetKey = "/registry/policy/poddisruptionbudgets/ns/web";

    private readonly MemoryStore _memory = new();
    private readonly FakeInterleavingStore _store;
    private readonly WatchCache _cache;
    private readonly RestHandler _handler;

    public PodActionConflictTests()
    {
        _store = new FakeInterleavingStore(_memory);
        // Never started: binding and eviction read the store, so that every race below is the store's.
        _cache = new WatchCache(_store, NullLogger.Instance);
        _handler = new RestHandler(_store, BuiltinResources.Table, Kubesharp.Api.Schema.Models.BuiltinSchemas.Instance, TimeProvider.System, _cache);
    }

    public async Task InitializeAsync()
    {
        await PutAsync(PodKey, """
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"ns","uid":"u-1","labels":{"app":"web"}},
             "spec":{"containers":[{"name":"c","image":"busybox"}]},
             "status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}
            """);
        await PutAsync(BudgetKey, """
            {"apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{"name":"web","namespace":"ns","generation":1},
             "spec":{"selector":{"matchLabels":{"app":"web"}}},
             "status":{"observedGeneration":1,"disruptionsAllowed":2,"currentHealthy":3,"desiredHealthy":1,"expectedPods":3}}
            """);
    }

    public async Task DisposeAsync()
    {
        await _cache.DisposeAsync();
        await _memory.DisposeAsync();
    }

    private async Task PutAsync(string key, string json) =>
        await _memory.CreateAsync(key, Encoding.UTF8.GetBytes(JsonNode.Parse(json)!.ToJsonString()));

    private static Func<Storage.IStore, Task> Change(string key, Action<JsonObject> change) => async store =>
    {
        var current = (await store.GetAsync(key))!;
        var obj = JsonNode.Parse(current.Value)!.AsObject();
        change(obj);
        var result = await store.UpdateAsync(key, JsonSerializer.SerializeToUtf8Bytes(obj), current.ModRevision);
        Assert.Equal(Storage.WriteStatus.Ok, result.Status);
    };

    private async Task<JsonObject> ReadAsync(string key) => JsonNode.Parse((await _memory.GetAsync(key))!.Value)!.AsObject();

    private async Task<(int Code, JsonObject? Body)> PostAsync(string subresource, string body)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.Path = $"/api/v1/namespaces/ns/pods/p/{subresource}";
        context.Request.ContentType = "application/json";
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
        context.Response.Body = new MemoryStream();
        var path = ApiPath.Parse(BuiltinResources.Table, core: true, ["v1", "namespaces", "ns", "pods", "p", subresource])!;
        try
        {
            await _handler.HandleAsync(context, path);
        }
        catch (StatusException e)
        {
            return ((int)e.Code, JsonNode.Parse(StatusResponses.Serialize(e))!.AsObject());
        }

        return (context.Response.StatusCode, JsonNode.Parse(((MemoryStream)context.Response.Body).ToArray())!.AsObject());
    }

    [Fact]
    public async Task An_eviction_that_loses_the_budget_to_another_decides_again_on_the_new_budget()
    {
        _store.BeforeNextUpdate(BudgetKey, Change(BudgetKey, pdb =>
        {
            pdb["status"]!["disruptionsAllowed"] = 1;
            pdb["status"]!["disruptedPods"] = new JsonObject { ["other"] = "2026-01-01T00:00:00Z" };
        }));

        var (code, _) = await PostAsync("eviction", """{"metadata":{"name":"p"}}""");

        var status = (await ReadAsync(BudgetKey))["status"]!;
        Assert.Equal(201, code);
        Assert.Equal(0, status["disruptionsAllowed"]!.GetValue<int>());
        Assert.Equal(["other", "p"], status["disruptedPods"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Null(await _memory.GetAsync(PodKey));
    }

    [Fact]
    public async Task An_eviction_whose_budget_is_spent_meanwhile_is_429()
    {
        _store.BeforeNextUpdate(BudgetKey, Change(BudgetKey, pdb => pdb["status"]!["disruptionsAllowed"] = 0));

        var (code, body) = await PostAsync("eviction", """{"metadata":{"name":"p"}}""");

        Assert.Equal(429, code);
        Assert.Equal("The disruption budget web needs 1 healthy pods and has 3 currently", body!["details"]!["causes"]![0]!["message"]!.GetValue<string>());
        Assert.NotNull(await _memory.GetAsync(PodKey));
    }

    [Fact]
    public async Task An_unready_pod_that_changes_before_it_is_deleted_is_429_so_that_the_client_asks_again()
    {
        await Change(PodKey, pod => pod["status"]!["conditions"]![0]!["status"] = "False")(_memory);
        // The budget is met without the pod, so it may go without spending it, but only as the version judged.
        _store.BeforeNextUpdate(PodKey, Change(PodKey, pod => pod["status"]!["conditions"]![0]!["status"] = "True"));

        var (code, body) = await PostAsync("eviction", """{"metadata":{"name":"p"}}""");

        Assert.Equal(429, code);
        Assert.Equal("The disruption budget web is still being processed by the server.", body!["details"]!["causes"]![0]!["message"]!.GetValue<string>());
        Assert.Equal(2, (await ReadAsync(BudgetKey))["status"]!["disruptionsAllowed"]!.GetValue<int>());
        Assert.NotNull(await _memory.GetAsync(PodKey));
    }

    [Fact]
    public async Task A_binding_that_loses_to_an_unrelated_write_binds_on_the_new_pod()
    {
        await Change(PodKey, pod => pod["status"] = new JsonObject { ["phase"] = "Pending" })(_memory);
        _store.BeforeNextUpdate(PodKey, Change(PodKey, pod => pod["metadata"]!["labels"]!["tier"] = "front"));

        var (code, _) = await PostAsync("binding", """{"metadata":{"name":"p"},"target":{"kind":"Node","name":"node-1"}}""");

        var pod = await ReadAsync(PodKey);
        Assert.Equal(201, code);
        Assert.Equal("node-1", pod["spec"]!["nodeName"]!.GetValue<string>());
        Assert.Equal("front", pod["metadata"]!["labels"]!["tier"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_binding_that_loses_to_another_binding_is_409()
    {
        _store.BeforeNextUpdate(PodKey, Change(PodKey, pod => pod["spec"]!["nodeName"] = "node-x"));

        var (code, body) = await PostAsync("binding", """{"metadata":{"name":"p"},"target":{"kind":"Node","name":"node-1"}}""");

        Assert.Equal(409, code);
        Assert.Equal("Operation cannot be fulfilled on pods/binding \"p\": pod p is already assigned to node \"node-x\"", body!["message"]!.GetValue<string>());
        Assert.Equal("node-x", (await ReadAsync(PodKey))["spec"]!["nodeName"]!.GetValue<string>());
    }
}
