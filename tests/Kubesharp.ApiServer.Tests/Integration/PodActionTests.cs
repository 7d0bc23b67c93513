using System.Net;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Kubesharp.ApiServer.Tests.Integration;

/// <summary>
/// The pod actions a scheduler and <c>kubectl drain</c> use: <c>pods/binding</c> (and the older <c>bindings</c>)
/// and <c>pods/eviction</c>, through the official C# client, raw HTTP for the error bodies, and the real kubectl.
/// Every test works in a namespace of its own, since disruption budgets match whole namespaces.
/// </summary>
public abstract class PodActionTests<TFixture>(TFixture server)
    where TFixture : ApiServerFixture
{
    private static V1Pod Pod(string name, string? node = null, Dictionary<string, string>? labels = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = labels },
        Spec = new V1PodSpec { NodeName = node, Containers = [new V1Container { Name = "c", Image = "127.0.0.1:5000/library/busybox:1.35" }] },
    };

    private static V1Binding Binding(string pod, string node, string kind = "Node") =>
        new() { Metadata = new V1ObjectMeta { Name = pod }, Target = new V1ObjectReference { Kind = kind, Name = node } };

    private static V1Eviction Eviction(string pod, V1DeleteOptions? options = null) =>
        new() { Metadata = new V1ObjectMeta { Name = pod }, DeleteOptions = options };

    private static readonly Dictionary<string, string> Web = new() { ["app"] = "web" };

    private static async Task<string> NamespaceAsync(Kubernetes client, string name)
    {
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } });
        return name;
    }

    /// <summary>What a kubelet would report: the pod running and, unless told otherwise, ready.</summary>
    private static async Task RunningAsync(Kubernetes client, string ns, string name, bool ready = true, string phase = "Running")
    {
        var pod = await client.CoreV1.ReadNamespacedPodAsync(name, ns);
        pod.Status.Phase = phase;
        pod.Status.Conditions = [new V1PodCondition { Type = "Ready", Status = ready ? "True" : "False" }];
        await client.CoreV1.ReplaceNamespacedPodStatusAsync(pod, name, ns);
    }

    /// <summary>A budget over app=web, with the status a disruption controller would have written.</summary>
    private static async Task<V1PodDisruptionBudget> BudgetAsync(Kubernetes client, string ns, string name, int allowed, bool observed = true, int healthy = 1, int desired = 1, string? policy = null)
    {
        var created = await client.PolicyV1.CreateNamespacedPodDisruptionBudgetAsync(new V1PodDisruptionBudget
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1PodDisruptionBudgetSpec { MinAvailable = 1, Selector = new V1LabelSelector { MatchLabels = Web }, UnhealthyPodEvictionPolicy = policy },
        }, ns);
        created.Status = new V1PodDisruptionBudgetStatus
        {
            ObservedGeneration = observed ? created.Metadata.Generation : 0,
            DisruptionsAllowed = allowed,
            CurrentHealthy = healthy,
            DesiredHealthy = desired,
            ExpectedPods = healthy,
        };
        return await client.PolicyV1.ReplaceNamespacedPodDisruptionBudgetStatusAsync(created, name, ns);
    }

    private async Task<(HttpStatusCode Code, JsonElement Body, HttpResponseMessage Response)> PostAsync(string path, string json)
    {
        using var http = server.Http();
        var response = await http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement, response);
    }

    private static async Task<bool> ExistsAsync(Kubernetes client, string ns, string name)
    {
        try
        {
            await client.CoreV1.ReadNamespacedPodAsync(name, ns);
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    [SkippableFact]
    public async Task Binding_sets_the_node_the_annotations_and_PodScheduled_and_answers_a_201_Success_Status()
    {
        using var client = server.Client();
        var ns = await NamespaceAsync(client, "bind-once");
        await client.CoreV1.CreateNamespacedPodAsync(Pod("typed"), ns);
        await client.CoreV1.CreateNamespacedPodAsync(Pod("raw"), ns);
        var binding = Binding("typed", "node-1");
        binding.Metadata.Annotations = new Dictionary<string, string> { ["scheduler.example/score"] = "97" };

        await client.CoreV1.CreateNamespacedPodBindingAsync(binding, "typed", ns);
        var (code, status, _) = await PostAsync($"/api/v1/namespaces/{ns}/pods/raw/binding",
            """{"apiVersion":"v1","kind":"Binding","metadata":{"name":"raw"},"target":{"apiVersion":"v1","kind":"Node","name":"node-2"}}""");

        var typed = await client.CoreV1.ReadNamespacedPodAsync("typed", ns);
        var raw = await client.CoreV1.ReadNamespacedPodAsync("raw", ns);
        Assert.Equal("node-1", typed.Spec.NodeName);
        Assert.Equal("97", typed.Metadata.Annotations["scheduler.example/score"]);
        var scheduled = Assert.Single(typed.Status.Conditions, c => c.Type == "PodScheduled");
        Assert.Equal("True", scheduled.Status);
        Assert.NotNull(scheduled.LastTransitionTime);
        Assert.Equal("node-2", raw.Spec.NodeName);
        Assert.Equal(HttpStatusCode.Created, code);
        Assert.Equal("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","code":201}""", status.GetRawText());
    }

    [SkippableFact]
    public async Task Binding_a_bound_pod_is_409_naming_its_node_and_leaves_it_there()
    {
        using var client = server.Client();
        var ns = await NamespaceAsync(client, "bind-twice");
        await client.CoreV1.CreateNamespacedPodAsync(Pod("p"), ns);
        await client.CoreV1.CreateNamespacedPodBindingAsync(Binding("p", "node-1"), "p", ns);

        var again = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.CreateNamespacedPodBindingAsync(Binding("p", "node-2"), "p", ns));
        var (code, status, _) = await PostAsync($"/api/v1/namespaces/{ns}/pods/p/binding", """{"metadata":{"name":"p"},"target":{"name":"node-2"}}""");

        Assert.Equal(HttpStatusCode.Conflict, again.Response.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, code);
        Assert.Equal("Conflict", status.GetProperty("reason").GetString());
        Assert.Equal("Operation cannot be fulfilled on pods/binding \"p\": pod p is already assigned to node \"node-1\"", status.GetProperty("message").GetString());
        Assert.Equal("pods/binding", status.GetProperty("details").GetProperty("kind").GetString());
        Assert.Equal("node-1", (await client.CoreV1.ReadNamespacedPodAsync("p", ns)).Spec.NodeName);
    }

    [SkippableFact]
    public async Task Binding_a_missing_pod_is_404()
    {
        using var client = server.Client();
        var ns = await NamespaceAsync(client, "bind-missing");

        var missing = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.CreateNamespacedPodBindingAsync(Binding("ghost", "node-1"), "ghost", ns));

        Assert.Equal(HttpStatusCode.NotFound, missing.Response.StatusCode);
        using var status = JsonDocument.Parse(missing.Response.Content);
        Assert.Equal("pods \"ghost\" not found", status.RootElement.GetProperty("message").GetString());
    }

    [SkippableFact]
    public async Task The_older_bindings_collection_binds_the_pod_its_metadata_names()
    {
        using var client = server.Client();
        var ns = await NamespaceAsync(client, "bind-legacy");
        await client.CoreV1.CreateNamespacedPodAsync(Pod("p"), ns);

        await client.CoreV1.CreateNamespacedBindingAsync(Binding("p", "node-1"), ns);
        using var http = server.Http();
        using var list = await http.GetAsync($"/api/v1/namespaces/{ns}/bindings");

        Assert.Equal("node-1", (await client.CoreV1.ReadNamespacedPodAsync("p", ns)).Spec.NodeName);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, list.StatusCode);
    }

    [SkippableTheory]
    [InlineData("a target of another kind", """{"metadata":{"name":"p"},"target":{"kind":"Pod","name":"x"}}""", 500, "", "target.kind: Unsupported value: \"Pod\": supported values: \"Node\", \"<empty>\"")]
    [InlineData("a target without a name", """{"metadata":{"name":"p"},"target":{"kind":"Node"}}""", 500, "", "target.name: Required value")]
    [InlineData("another name than the URL's", """{"metadata":{"name":"q"},"target":{"name":"node-1"}}""", 400, "BadRequest", "name in URL does not match name in Binding object")]
    [InlineData("another namespace than the URL's", """{"metadata":{"name":"p","namespace":"elsewhere"},"target":{"name":"node-1"}}""", 400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request")]
    [InlineData("a uid precondition that fails", """{"metadata":{"name":"p","uid":"0000"},"target":{"name":"node-1"}}""", 409, "Conflict", "Operation cannot be fulfilled on pods \"p\": StorageError: invalid object, Code: 4, Key: /registry/pods/bind-refused/p, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: 0000, UID in object meta: ")]
    public async Task A_binding_is_refused_as_upstream_refuses_it(string why, string body, int code, string reason, string message)
    {
        using var client = server.Client();
        // The cases share one namespace and one pod, which none of them may change.
        var ns = "bind-refused";
        if (!(await client.CoreV1.ListNamespaceAsync()).Items.Any(n => n.Metadata.Name == ns))
        {
            await NamespaceAsync(client, ns);
            await client.CoreV1.CreateNamespacedPodAsync(Pod("p"), ns);
        }

        var (actual, status, _) = await PostAsync($"/api/v1/namespaces/{ns}/pods/p/binding", body);

        Assert.True(code == (int)actual, $"{why}: {(int)actual} {status}");
        Assert.Equal(reason, status.TryGetProperty("reason", out var r) ? r.GetString() : "");
        Assert.StartsWith(message, status.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Null((await client.CoreV1.ReadNamespacedPodAsync("p", ns)).Spec.NodeName);
    }

    [SkippableFact]
    public async Task A_pod_being_deleted_cannot_be_bound_and_a_dry_run_binds_nothing()
    {
        using var client = server.Client();
        var ns = await NamespaceAsync(client, "bind-terminating");
        var held = Pod("held");
        held.Metadata.Finalizers = ["example.com/hold"];
        await client.CoreV1.CreateNamespacedPodAsync(held, ns);
        await client.CoreV1.CreateNamespacedPodAsync(Pod("dry"), ns);
        await client.CoreV1.DeleteNamespacedPodAsync("held", ns);

        var (code, status, _) = await PostAsync($"/api/v1/namespaces/{ns}/pods/held/binding", """{"metadata":{"name":"held"},"target":{"name":"node-1"}}""");
        await client.CoreV1.CreateNamespacedPodBindingAsync(Binding("dry", "node-1"), "dry", ns, dryRun: "All");

        Assert.Equal(HttpStatusCode.Conflict, code);
        Assert.Equal("Operation cannot be fulfilled on pods/binding \"held\": pod held is being deleted, cannot be assigned to a host", status.GetProperty("message").GetString());
        Assert.Null((await client.CoreV1.ReadNamespacedPodAsync("dry", ns)).Spec.NodeName);
        var pod = await client.CoreV1.ReadNamespacedPodAsync("held", ns);
        pod.Metadata.Finalizers = null;
        await client.CoreV1.ReplaceNamespacedPodAsync(pod, "held", ns);
    }

    [SkippableFact]
    public async Task Discovery_lists_bindings_and_the_pod_subresources_with_their_kinds()
    {
        using var http = server.Http();
        using var legacy = JsonDocument.Parse(await http.GetStringAsync("/api/v1"));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api");
        request.Headers.TryAddWithoutValidation("Accept", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
        using var response = await http.SendAsync(request);
        using var aggregated = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        var resources = legacy.RootElement.GetProperty("resources").EnumerateArray().ToDictionary(r => r.GetProperty("name").GetString()!);
        Assert.Equal("""{"name":"bindings","singularName":"binding","namespaced":true,"kind":"Binding","verbs":["create"]}""", resources["bindings"].GetRawText());
        Assert.Equal("""{"name":"pods/binding","singularName":"","namespaced":true,"kind":"Binding","verbs":["create"]}""", resources["pods/binding"].GetRawText());
        Assert.Equal("""{"name":"pods/eviction","singularName":"","namespaced":true,"group":"policy","version":"v1","kind":"Eviction","verbs":["create"]}""", resources["pods/eviction"].GetRawText());
        var core = aggregated.RootElement.GetProperty("items")[0].GetProperty("versions")[0].GetProperty("resources").EnumerateArray().ToList();
        var pods = core.Single(r => r.GetProperty("resource").GetString() == "pods").GetProperty("subresources").EnumerateArray().ToDictionary(s => s.GetProperty("subresource").GetString()!);
        Assert.Equal("""{"group":"policy","version":"v1","kind":"Eviction"}""", pods["eviction"].GetProperty("responseKind").GetRawText());
        Assert.Equal("""["create"]""", pods["eviction"].GetProperty("verbs").GetRawText());
        Assert.Equal("Binding", pods["binding"].GetProperty("responseKind").GetProperty("kind").GetString());
        Assert.Equal("""["create"]""", core.Single(r => r.GetProperty("resource").GetString() == "bindings").GetProperty("verbs").GetRawText());
    }

    [SkippableFact]
    public async Task Evicting_without_a_budget_deletes_the_pod_as_DELETE_would()
    {
        using var client = server.Client();
        var ns = await NamespaceAsync(client, "evict-free");
        await client.CoreV1.CreateNamespacedPodAsync(Pod("pending", labels: Web), ns);
        await client.CoreV1.CreateNamespacedPodAsync(Pod("now", "node-1", Web), ns);
        await client.CoreV1.CreateNamespacedPodAsync(Pod("graceful", "node-1", Web), ns);
        await RunningAsync(client, ns, "now");
        await RunningAsync(client, ns, "graceful");

        await client.CoreV1.CreateNamespacedPodEvictionAsync(Eviction("pending"), "pending", ns);
        await client.CoreV1.CreateNamespacedPodEvictionAsync(Eviction("now", new V1DeleteOptions { GracePeriodSeconds = 0 }), "now", ns);
        var (code, status, _) = await PostAsync($"/api/v1/namespaces/{ns}/pods/graceful/eviction", """{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"graceful"}}""");

        Assert.False(await ExistsAsync(client, ns, "pending"));
        Assert.False(await ExistsAsync(client, ns, "now"));
        Assert.Equal(HttpStatusCode.Created, code);
        Assert.Equal("Success", status.GetProperty("status").GetString());
        var terminating = await client.CoreV1.ReadNamespacedPodAsync("graceful", ns);
        Assert.NotNull(terminating.Metadata.DeletionTimestamp);
        Assert.Equal(30, terminating.Metadata.DeletionGracePeriodSeconds);
        var target = Assert.Single(terminating.Status.Conditions, c => c.Type == "DisruptionTarget");
        Assert.Equal(("True", "EvictionByEvictionAPI", "Eviction API: evicting"), (target.Status, target.Reason, target.Message));
    }

    [SkippableFact]
    public async Task A_budget_with_no_disruption_left_refuses_with_429_and_its_cause()
    {
        using var client = server.Client();
        var ns = await NamespaceAsync(client, "evict-blocked");
        await client.CoreV1.CreateNamespacedPodAsync(Pod("p", labels: Web), ns);
        await RunningAsync(client, ns, "p");
        await BudgetAsync(client, ns, "web", allowed: 0, healthy: 1, desired: 1);

        var typed = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.CreateNamespacedPodEvictionAsync(Eviction("p"), "p", ns));
        var (code, status, response) = await PostAsync($"/api/v1/namespaces/{ns}/pods/p/eviction", """{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"p","namespace":"evict-blocked"}}""");

        Assert.Equal((HttpStatusCode)429, typed.Response.StatusCode);
        Assert.Equal((HttpStatusCode)429, code);
        Assert.Equal("TooManyRequests", status.GetProperty("reason").GetString());
        Assert.Equal("Cannot evict pod as it would violate the pod's disruption budget.", status.GetProperty("message").GetString());
        Assert.Equal("""{"causes":[{"reason":"DisruptionBudget","message":"The disruption budget web needs 1 healthy pods and has 1 currently"}]}""", status.GetProperty("details").GetRawText());
        Assert.False(response.Headers.Contains("Retry-After"));
        var pod = await client.CoreV1.ReadNamespacedPodAsync("p", ns);
        Assert.Null(pod.Metadata.DeletionTimestamp);
        Assert.DoesNotContain(pod.Status.Conditions, c => c.Type == "DisruptionTarget");
    }

    [SkippableFact]
    public async Task A_budget_its_controller_has_not_observed_is_429_with_a_retry_after()
    {
        using var client = server.Client();
        var ns = await NamespaceAsync(client, "evict-unobserved");
        await client.CoreV1.CreateNamespacedPodAsync(Pod("p", labels: Web), ns);
        await RunningAsync(client, ns, "p");
        await BudgetAsync(client, ns, "web", allowed: 5, observed: false);

        var (code, status, response) = await PostAsync($"/api/v1/namespaces/{ns}/pods/p/eviction", """{"metadata":{"name":"p"}}""");

        Assert.Equal((HttpStatusCode)429, code);
        Assert.Equal("""{"causes":[{"reason":"DisruptionBudget","message":"The disruption budget web is still being processed by the server."}],"retryAfterSeconds":10}""", status.GetProperty("details").GetRawText());
        Assert.Equal("10", response.Headers.GetValues("Retry-After").Single());
        Assert.True(await ExistsAsync(client, ns, "p"));
    }

    [SkippableFact]
    public async Task A_budget_that_allows_a_disruption_is_decremented_and_records_the_pod()
    {
        using var client = server.Client();
        var ns = await NamespaceAsync(client, "evict-allowed");
        await client.CoreV1.CreateNamespacedPodAsync(Pod("first", labels: Web), ns);
        await client.CoreV1.CreateNamespacedPodAsync(Pod("second", labels: Web), ns);
        await RunningAsync(client, ns, "first");
        await RunningAsync(client, ns, "second");
        await BudgetAsync(client, ns, "web", allowed: 1, healthy: 2, desired: 1);

        await client.CoreV1.CreateNamespacedPodEvictionAsync(Eviction("first"), "first", ns);
        var second = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.CreateNamespacedPodEvictionAsync(Eviction("second"), "second", ns));

        var budget = await client.PolicyV1.ReadNamespacedPodDisruptionBudgetAsync("web", ns);
        Assert.False(await ExistsAsync(client, ns, "first"));
        Assert.Equal(0, budget.Status.DisruptionsAllowed);
        Assert.Equal(["first"], budget.Status.DisruptedPods.Keys);
        var allowed = Assert.Single(budget.Status.Conditions);
        Assert.Equal(("DisruptionAllowed", "False", "InsufficientPods"), (allowed.Type, allowed.Status, allowed.Reason));
        Assert.Equal((HttpStatusCode)429, second.Response.StatusCode);
        Assert.True(await ExistsAsync(client, ns, "second"));
    }

    [SkippableFact]
    public async Task Pods_that_disrupt_nothing_more_skip_the_budget()
    {
        using var client = server.Client();
        var ns = await NamespaceAsync(client, "evict-skip");
        await client.CoreV1.CreateNamespacedPodAsync(Pod("done", "node-1", Web), ns);
        await client.CoreV1.CreateNamespacedPodAsync(Pod("unready", labels: Web), ns);
        await RunningAsync(client, ns, "done", phase: "Succeeded");
        await RunningAsync(client, ns, "unready", ready: false);
        await BudgetAsync(client, ns, "web", allowed: 0, healthy: 2, desired: 2);

        await client.CoreV1.CreateNamespacedPodEvictionAsync(Eviction("done"), "done", ns);
        await client.CoreV1.CreateNamespacedPodEvictionAsync(Eviction("unready"), "unready", ns);

        Assert.False(await ExistsAsync(client, ns, "done"));
        Assert.False(await ExistsAsync(client, ns, "unready"));
        Assert.Equal(0, (await client.PolicyV1.ReadNamespacedPodDisruptionBudgetAsync("web", ns)).Status.DisruptionsAllowed);
    }

    [SkippableFact]
    public async Task An_unready_pod_goes_under_an_AlwaysAllow_budget_without_spending_it()
    {
        using var client = server.Client();
        var ns = await NamespaceAsync(client, "evict-always");
        await client.CoreV1.CreateNamespacedPodAsync(Pod("unready", labels: Web), ns);
        await client.CoreV1.CreateNamespacedPodAsync(Pod("ready", labels: Web), ns);
        await RunningAsync(client, ns, "unready", ready: false);
        await RunningAsync(client, ns, "ready");
        await BudgetAsync(client, ns, "web", allowed: 0, healthy: 1, desired: 2, policy: "AlwaysAllow");

        await client.CoreV1.CreateNamespacedPodEvictionAsync(Eviction("unready"), "unready", ns);
        var ready = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.CreateNamespacedPodEvictionAsync(Eviction("ready"), "ready", ns));

        Assert.False(await ExistsAsync(client, ns, "unready"));
        Assert.Equal((HttpStatusCode)429, ready.Response.StatusCode);
        Assert.Null((await client.PolicyV1.ReadNamespacedPodDisruptionBudgetAsync("web", ns)).Status.DisruptedPods);
    }

    [SkippableTheory]
    [InlineData("another name than the URL's", "", """{"metadata":{"name":"q"}}""", 400, "BadRequest", "name in URL does not match name in Eviction object")]
    [InlineData("another kind", "", """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}}""", 400, "BadRequest", "the API version in the data (v1) does not match the expected API version (policy/v1) or kind Pod is not Eviction for pods/eviction")]
    [InlineData("an unknown dry run", "?dryRun=Some", """{"metadata":{"name":"p"}}""", 422, "Invalid", "CreateOptions.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: []string{\"Some\"}: supported values: \"All\"")]
    [InlineData("dry runs that disagree", "?dryRun=All", """{"metadata":{"name":"p"},"deleteOptions":{"dryRun":["Other"]}}""", 500, "", "Non-matching dry-run options in request and content: [All] and [Other]")]
    [InlineData("a budget gone negative", "", """{"metadata":{"name":"p"}}""", 403, "Forbidden", "poddisruptionbudget.policy \"web\" is forbidden: pdb disruptions allowed is negative")]
    public async Task An_eviction_is_refused_as_upstream_refuses_it(string why, string query, string body, int code, string reason, string message)
    {
        using var client = server.Client();
        // The cases share one namespace, pod and budget, which none of them may change.
        var ns = "evict-refused";
        if (!(await client.CoreV1.ListNamespaceAsync()).Items.Any(n => n.Metadata.Name == ns))
        {
            await NamespaceAsync(client, ns);
            await client.CoreV1.CreateNamespacedPodAsync(Pod("p", labels: Web), ns);
            await RunningAsync(client, ns, "p");
            await BudgetAsync(client, ns, "web", allowed: -1);
        }

        var (actual, status, _) = await PostAsync($"/api/v1/namespaces/{ns}/pods/p/eviction{query}", body);

        Assert.True(code == (int)actual, $"{why}: {(int)actual} {status}");
        Assert.Equal(reason, status.TryGetProperty("reason", out var r) ? r.GetString() : "");
        Assert.Equal(message, status.GetProperty("message").GetString());
        Assert.True(await ExistsAsync(client, ns, "p"));
    }

    [SkippableFact]
    public async Task Two_matching_budgets_are_upstreams_500()
    {
        using var client = server.Client();
        var ns = await NamespaceAsync(client, "evict-two");
        await client.CoreV1.CreateNamespacedPodAsync(Pod("p", labels: Web), ns);
        await RunningAsync(client, ns, "p");
        await BudgetAsync(client, ns, "one", allowed: 1);
        await BudgetAsync(client, ns, "two", allowed: 1);

        var (code, status, _) = await PostAsync($"/api/v1/namespaces/{ns}/pods/p/eviction", """{"apiVersion":"policy/v1beta1","kind":"Eviction","metadata":{"name":"p"}}""");

        Assert.Equal(HttpStatusCode.InternalServerError, code);
        Assert.Equal("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.","code":500}""", status.GetRawText());
        Assert.True(await ExistsAsync(client, ns, "p"));
    }

    [SkippableFact]
    public async Task A_dry_run_eviction_writes_nothing_and_preconditions_hold()
    {
        using var client = server.Client();
        var ns = await NamespaceAsync(client, "evict-dry");
        var created = await client.CoreV1.CreateNamespacedPodAsync(Pod("p", labels: Web), ns);
        await RunningAsync(client, ns, "p");
        var budget = await BudgetAsync(client, ns, "web", allowed: 1);

        await client.CoreV1.CreateNamespacedPodEvictionAsync(Eviction("p"), "p", ns, dryRun: "All");
        var (bodyDryRun, _, _) = await PostAsync($"/api/v1/namespaces/{ns}/pods/p/eviction", """{"metadata":{"name":"p"},"deleteOptions":{"dryRun":["All"]}}""");
        var unchanged = await client.PolicyV1.ReadNamespacedPodDisruptionBudgetAsync("web", ns);
        // As upstream, the budget is spent before the pod's preconditions are checked; the disruption
        // controller gives it back once the pod outlives its entry in disruptedPods.
        var wrongUid = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.CreateNamespacedPodEvictionAsync(
            Eviction("p", new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = "not-" + created.Metadata.Uid } }), "p", ns));
        var pod = await client.CoreV1.ReadNamespacedPodAsync("p", ns);

        Assert.Equal(HttpStatusCode.Created, bodyDryRun);
        Assert.Equal(budget.Metadata.ResourceVersion, unchanged.Metadata.ResourceVersion);
        Assert.Equal(1, unchanged.Status.DisruptionsAllowed);
        Assert.Null(pod.Metadata.DeletionTimestamp);
        Assert.DoesNotContain(pod.Status.Conditions, c => c.Type == "DisruptionTarget");
        Assert.Equal(HttpStatusCode.Conflict, wrongUid.Response.StatusCode);
        using var conflict = JsonDocument.Parse(wrongUid.Response.Content);
        Assert.Equal($"Operation cannot be fulfilled on Pod \"p\": the UID in the precondition (not-{created.Metadata.Uid}) does not match the UID in record ({created.Metadata.Uid}). The object might have been deleted and then recreated",
            conflict.RootElement.GetProperty("message").GetString());
    }

    [SkippableFact]
    public async Task Evicting_a_missing_pod_is_404_and_a_GET_is_405()
    {
        using var client = server.Client();
        var ns = await NamespaceAsync(client, "evict-missing");
        using var http = server.Http();

        var missing = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.CreateNamespacedPodEvictionAsync(Eviction("ghost"), "ghost", ns));
        using var get = await http.GetAsync($"/api/v1/namespaces/{ns}/pods/ghost/eviction");

        Assert.Equal(HttpStatusCode.NotFound, missing.Response.StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
    }

    [SkippableFact]
    public async Task Kubectl_drain_cordons_evicts_through_the_budget_and_uncordon_reverts()
    {
        using var client = server.Client();
        var ns = await NamespaceAsync(client, "drain");
        foreach (var node in new[] { "drained", "spared" })
        {
            await client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = node } });
        }

        var ds = await client.AppsV1.CreateNamespacedDaemonSetAsync(new V1DaemonSet
        {
            Metadata = new V1ObjectMeta { Name = "agent" },
            Spec = new V1DaemonSetSpec
            {
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "agent" } },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "agent" } },
                    Spec = Pod("template").Spec,
                },
            },
        }, ns);

        // No kubelet runs here, so graceful deletion would wait for ever: these pods ask for none, as a pod
        // whose kubelet has confirmed it would look to the server. Each has a controller, as drain wants.
        V1Pod OnNode(string name, string node, string ownerKind, string owner, Dictionary<string, string> labels)
        {
            var pod = Pod(name, node, labels);
            pod.Spec.TerminationGracePeriodSeconds = 0;
            pod.Metadata.OwnerReferences = [new V1OwnerReference { ApiVersion = "apps/v1", Kind = ownerKind, Name = owner, Uid = ownerKind == "DaemonSet" ? ds.Metadata.Uid : Guid.NewGuid().ToString(), Controller = true }];
            return pod;
        }

        await client.CoreV1.CreateNamespacedPodAsync(OnNode("web-1", "drained", "ReplicaSet", "web-x", Web), ns);
        await client.CoreV1.CreateNamespacedPodAsync(OnNode("web-2", "drained", "ReplicaSet", "web-x", Web), ns);
        var cache = OnNode("cache", "drained", "ReplicaSet", "cache-x", new Dictionary<string, string> { ["app"] = "cache" });
        cache.Spec.Volumes = [new V1Volume { Name = "scratch", EmptyDir = new V1EmptyDirVolumeSource() }];
        await client.CoreV1.CreateNamespacedPodAsync(cache, ns);
        await client.CoreV1.CreateNamespacedPodAsync(OnNode("agent-a", "drained", "DaemonSet", "agent", new Dictionary<string, string> { ["app"] = "agent" }), ns);
        await client.CoreV1.CreateNamespacedPodAsync(OnNode("web-3", "spared", "ReplicaSet", "web-x", Web), ns);
        foreach (var name in new[] { "web-1", "web-2", "web-3" })
        {
            await RunningAsync(client, ns, name);
        }

        await BudgetAsync(client, ns, "web", allowed: 2, healthy: 3, desired: 1);

        var (code, stdout, stderr) = await server.KubectlAsync("drain", "drained", "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=45s");

        Assert.True(code == 0, $"kubectl drain exited {code}: {stderr}");
        Assert.Contains("node/drained cordoned", stdout, StringComparison.Ordinal);
        Assert.Contains("Warning: ignoring DaemonSet-managed Pods: drain/agent-a", stderr, StringComparison.Ordinal);
        Assert.All(["pod/web-1 evicted", "pod/web-2 evicted", "pod/cache evicted", "node/drained drained"], line => Assert.Contains(line, stdout, StringComparison.Ordinal));
        var left = (await client.CoreV1.ListNamespacedPodAsync(ns)).Items.Select(p => p.Metadata.Name).Order(StringComparer.Ordinal);
        Assert.Equal(["agent-a", "web-3"], left);
        var budget = await client.PolicyV1.ReadNamespacedPodDisruptionBudgetAsync("web", ns);
        Assert.Equal(0, budget.Status.DisruptionsAllowed);
        Assert.Equal(["web-1", "web-2"], budget.Status.DisruptedPods.Keys.Order(StringComparer.Ordinal));
        Assert.True((await client.CoreV1.ReadNodeAsync("drained")).Spec.Unschedulable);

        var cordon = await server.KubectlAsync("cordon", "spared");
        var uncordon = await server.KubectlAsync("uncordon", "drained");

        Assert.True(cordon.ExitCode == 0, cordon.Stderr);
        Assert.Contains("node/spared cordoned", cordon.Stdout, StringComparison.Ordinal);
        Assert.True(uncordon.ExitCode == 0, uncordon.Stderr);
        Assert.Contains("node/drained uncordoned", uncordon.Stdout, StringComparison.Ordinal);
        Assert.True((await client.CoreV1.ReadNodeAsync("spared")).Spec.Unschedulable);
        Assert.NotEqual(true, (await client.CoreV1.ReadNodeAsync("drained")).Spec.Unschedulable);
    }
}

public sealed class PodActionTestsOnSqlite(SqliteApiServerFixture server) : PodActionTests<SqliteApiServerFixture>(server), IClassFixture<SqliteApiServerFixture>;

public sealed class PodActionTestsOnEtcd(EtcdApiServerFixture server) : PodActionTests<EtcdApiServerFixture>(server), IClassFixture<EtcdApiServerFixture>;
