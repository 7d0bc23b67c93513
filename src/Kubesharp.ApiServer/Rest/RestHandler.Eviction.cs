using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kubesharp.Api.Errors;
using Kubesharp.Api.Resources;
using Kubesharp.Api.Selectors;
using Kubesharp.ApiServer.Admission;
using Kubesharp.Storage;
using Microsoft.AspNetCore.Http;

namespace Kubesharp.ApiServer.Rest;

internal sealed partial class RestHandler
{
    // Upstream's EvictionsRetry allows 20 attempts, 500 ms apart. Ours retries at once: a lost compare-and-swap
    // means another writer has already moved on, and a request handler has no business sleeping.
    private const int EvictionAttempts = 20;

    // Upstream's MaxDisruptedPodSize: evictions the disruption controller has not yet confirmed.
    private const int MaxDisruptedPods = 2000;

    private const string BudgetMessage = "Cannot evict pod as it would violate the pod's disruption budget.";

    /// <summary>
    /// Evicts a pod as upstream's EvictionREST (pkg/registry/core/pod/storage/eviction.go). A pod whose
    /// deletion disrupts nothing more (Succeeded, Failed, Pending, or already terminating) is deleted without
    /// looking at budgets. Otherwise the one PodDisruptionBudget of the namespace whose selector matches the
    /// pod decides: none lets the eviction through, more than one is upstream's 500, and one must allow a
    /// disruption; it is then decremented and the pod recorded in <c>status.disruptedPods</c> (compare-and-swap
    /// on the budget) before the pod is deleted. An unready pod may go without using up the budget when the
    /// budget is healthy without it, or when its policy is AlwaysAllow. The pod is deleted as a DELETE with the
    /// Eviction's deleteOptions would delete it (graceful deletion, preconditions), after it gets the
    /// DisruptionTarget condition. Dry run (query or deleteOptions) checks everything and writes nothing.
    /// Answers 201 with a Success Status.
    /// </summary>
    private async Task EvictAsync(HttpContext context, string ns, string name)
    {
        var pods = Pods;
        var cancellationToken = context.RequestAborted;
        var eviction = ObjectJson.ParseObject(await ReadBodyAsync(context.Request));
        CheckEvictionTypeMeta(eviction);
        var meta = ObjectJson.Metadata(eviction);
        CheckBodyNamespace(meta, ns);
        if ((ObjectJson.String(meta, "name") ?? "") != name)
        {
            throw StatusException.BadRequest("name in URL does not match name in Eviction object");
        }

        var options = PropagateDryRun(eviction["deleteOptions"] as JsonObject, CreateDryRunValues(context.Request));
        var dryRun = options["dryRun"] is JsonArray { Count: > 0 };
        var versionUnset = PreconditionVersion(options) is null;
        await AdmitAsync(context, AdmissionOperation.Create, pods, "eviction", ns, name, eviction, null, dryRun);

        JsonObject pod;
        for (var attempt = 1; ; attempt++)
        {
            pod = await GetAsync(pods, ns, name, cancellationToken);
            if (!CanIgnoreBudget(pod))
            {
                break;
            }

            // Upstream pins the delete to the version it looked at, so that a pod that meanwhile started
            // running (and now counts against a budget) is not deleted on a stale decision.
            var deleteOptions = ShouldEnforceResourceVersion(pod) && versionUnset ? WithPreconditionVersion(options, ResourceVersion(pod)) : options;
            try
            {
                await MarkAndDeletePodAsync(pods, ns, name, deleteOptions, dryRun, cancellationToken);
            }
            catch (StatusException e) when (e.Code == HttpStatusCode.Conflict && versionUnset && attempt < EvictionAttempts)
            {
                continue;
            }

            await WriteCreatedStatusAsync(context);
            return;
        }

        var budgets = await MatchingBudgetsAsync(ns, pod, cancellationToken);
        if (budgets.Count > 1)
        {
            // Upstream returns a Failure Status with only a message and code, which the apiserver writes as is.
            throw StatusException.Unclassified("This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.");
        }

        string? budgetName = null;
        var unhealthyGoes = false;
        if (budgets.Count == 1)
        {
            var budget = budgets[0];
            budgetName = ObjectJson.String(ObjectJson.Metadata(budget.Object), "name")!;
            var spec = budget.Object["spec"] as JsonObject;
            var status = budget.Object["status"] as JsonObject;
            // Readiness is upstream's measure of health. An unready pod counts towards neither currentHealthy nor
            // desiredHealthy, so deleting it takes nothing from the budget when the budget is met without it.
            unhealthyGoes = !IsPodReady(pod)
                && (ObjectJson.String(spec, "unhealthyPodEvictionPolicy") == "AlwaysAllow"
                    || Number(status?["currentHealthy"]) >= Number(status?["desiredHealthy"]) && Number(status?["desiredHealthy"]) > 0);
            if (!unhealthyGoes)
            {
                await DecrementBudgetAsync(ns, name, budget.Object, budget.Revision, dryRun, cancellationToken);
            }
        }

        try
        {
            await MarkAndDeletePodAsync(pods, ns, name, unhealthyGoes ? WithPreconditionVersion(options, ResourceVersion(pod)) : options, dryRun, cancellationToken);
        }
        catch (StatusException e) when (e.Code == HttpStatusCode.Conflict && unhealthyGoes && versionUnset)
        {
            // The pod changed since it was judged unready (it may be ready now): 429, so that the client retries.
            throw BudgetStillProcessing(budgetName!);
        }

        await WriteCreatedStatusAsync(context);
    }

    /// <summary>An Eviction is served as policy/v1 and, as upstream, also accepted as policy/v1beta1.</summary>
    private static void CheckEvictionTypeMeta(JsonObject eviction)
    {
        var apiVersion = ObjectJson.String(eviction, "apiVersion");
        var kind = ObjectJson.String(eviction, "kind");
        if (apiVersion is not (null or "" or "policy/v1" or "policy/v1beta1") || kind is not (null or "" or "Eviction"))
        {
            throw StatusException.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version (policy/v1)"
                + (kind is { Length: > 0 } and not "Eviction" ? $" or kind {kind} is not Eviction for pods/eviction" : ""));
        }
    }

    /// <summary>
    /// Upstream's propagateDryRun: the request's dryRun goes into the Eviction's deleteOptions when those have
    /// none; both set and different is an error (a plain one upstream, so 500 without a reason).
    /// </summary>
    private static JsonObject PropagateDryRun(JsonObject? deleteOptions, string[] requestDryRun)
    {
        var options = deleteOptions?.DeepClone().AsObject() ?? new JsonObject();
        string[] bodyDryRun = options["dryRun"] is JsonArray array ? [.. array.Select(v => v is JsonValue value && value.TryGetValue<string>(out var s) ? s : "")] : [];
        if (bodyDryRun.Length == 0)
        {
            if (requestDryRun.Length > 0)
            {
                options["dryRun"] = new JsonArray([.. requestDryRun.Select(v => (JsonNode?)v)]);
            }
        }
        else if (requestDryRun.Length > 0 && !requestDryRun.SequenceEqual(bodyDryRun))
        {
            throw StatusException.Unclassified($"Non-matching dry-run options in request and content: [{string.Join(' ', requestDryRun)}] and [{string.Join(' ', bodyDryRun)}]");
        }

        return options;
    }

    /// <summary>Upstream's canIgnorePDB: deleting these disrupts nothing that has not been disrupted already.</summary>
    private static bool CanIgnoreBudget(JsonObject pod) =>
        PodPhase(pod) is "Succeeded" or "Failed" or "Pending" || ObjectJson.Metadata(pod)["deletionTimestamp"] is not null;

    /// <summary>Upstream's shouldEnforceResourceVersion: terminal and terminating pods cannot start counting against a budget.</summary>
    private static bool ShouldEnforceResourceVersion(JsonObject pod) =>
        PodPhase(pod) is not ("Succeeded" or "Failed") && ObjectJson.Metadata(pod)["deletionTimestamp"] is null;

    private static string? PodPhase(JsonObject pod) => ObjectJson.String(pod["status"] as JsonObject, "phase");

    private static bool IsPodReady(JsonObject pod) =>
        pod["status"]?["conditions"] is JsonArray conditions
        && conditions.OfType<JsonObject>().Any(c => ObjectJson.String(c, "type") == "Ready" && ObjectJson.String(c, "status") == "True");

    private static string ResourceVersion(JsonObject obj) => ObjectJson.String(ObjectJson.Metadata(obj), "resourceVersion")!;

    private static string? PreconditionVersion(JsonObject options) => ObjectJson.String(options["preconditions"] as JsonObject, "resourceVersion");

    private static JsonObject WithPreconditionVersion(JsonObject options, string version)
    {
        var copy = options.DeepClone().AsObject();
        var preconditions = copy["preconditions"] as JsonObject ?? new JsonObject();
        preconditions["resourceVersion"] = version;
        copy["preconditions"] = preconditions;
        return copy;
    }

    private static long Number(JsonNode? node) => node is JsonValue v && v.TryGetValue<long>(out var n) ? n : 0;

    /// <summary>The namespace's PodDisruptionBudgets whose selector matches the pod; an invalid selector matches nothing.</summary>
    private async Task<List<(JsonObject Object, long Revision)>> MatchingBudgetsAsync(string ns, JsonObject pod, CancellationToken cancellationToken)
    {
        var budgets = table.Find("policy", "v1", "poddisruptionbudgets")!;
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (ObjectJson.Metadata(pod)["labels"] is JsonObject podLabels)
        {
            foreach (var (k, v) in podLabels)
            {
                labels[k] = v is JsonValue value && value.TryGetValue<string>(out var s) ? s : "";
            }
        }

        var matching = new List<(JsonObject, long)>();
        var page = await store.ListAsync(budgets.StoragePrefixFor(ns), 0, null, 0, cancellationToken);
        foreach (var kv in page.Items)
        {
            using var doc = JsonDocument.Parse(kv.Value);
            var selectorJson = doc.RootElement.TryGetProperty("spec"u8, out var spec) && spec.ValueKind == JsonValueKind.Object && spec.TryGetProperty("selector"u8, out var s) ? s : default;
            LabelSelector selector;
            try
            {
                // policy/v1: a null selector matches nothing and an empty one every pod (LabelSelectorAsSelector).
                selector = LabelSelector.FromJson(selectorJson);
            }
            catch (StatusException)
            {
                continue;
            }

            if (selector.Matches(labels))
            {
                matching.Add((ObjectJson.FromStorage(kv.Value, kv.ModRevision), kv.ModRevision));
            }
        }

        return matching;
    }

    /// <summary>
    /// Upstream's checkAndDecrement under RetryOnConflict: refuse when the budget cannot be trusted or allows no
    /// disruption, else take one disruption and record the pod, on the revision read. A lost compare-and-swap
    /// re-reads the budget and decides again.
    /// </summary>
    private async Task DecrementBudgetAsync(string ns, string podName, JsonObject budget, long revision, bool dryRun, CancellationToken cancellationToken)
    {
        var budgets = table.Find("policy", "v1", "poddisruptionbudgets")!;
        var name = ObjectJson.String(ObjectJson.Metadata(budget), "name")!;
        var key = budgets.StorageKey(ns, name);
        for (var attempt = 1; attempt <= EvictionAttempts; attempt++)
        {
            if (attempt > 1)
            {
                var current = await store.GetAsync(key, 0, cancellationToken) ?? throw StatusException.NotFound("policy", "poddisruptionbudgets", name);
                budget = ObjectJson.FromStorage(current.Value, current.ModRevision);
                revision = current.ModRevision;
            }

            CheckAndDecrement(budget, name, podName);
            if (dryRun)
            {
                return;
            }

            var result = await store.UpdateAsync(key, ObjectJson.ToStorage(budget), revision, null, cancellationToken);
            switch (result.Status)
            {
                case WriteStatus.Ok:
                    return;
                case WriteStatus.NotFound:
                    throw StatusException.NotFound("policy", "poddisruptionbudgets", name);
            }
        }

        throw StatusException.Timeout($"couldn't update PodDisruptionBudget \"{name}\" due to conflicts", 10);
    }

    private void CheckAndDecrement(JsonObject budget, string name, string podName)
    {
        var status = budget["status"] as JsonObject ?? new JsonObject();
        budget["status"] = status;
        if (Number(status["observedGeneration"]) < Number(ObjectJson.Metadata(budget)["generation"]))
        {
            throw BudgetStillProcessing(name);
        }

        var allowed = Number(status["disruptionsAllowed"]);
        if (allowed < 0)
        {
            throw StatusException.Forbidden("policy", "poddisruptionbudget", name, "pdb disruptions allowed is negative");
        }

        var disrupted = status["disruptedPods"] as JsonObject ?? new JsonObject();
        if (disrupted.Count > MaxDisruptedPods)
        {
            throw StatusException.Forbidden("policy", "poddisruptionbudget", name, "DisruptedPods map too big - too many evictions not confirmed by PDB controller");
        }

        if (allowed == 0)
        {
            throw StatusException.TooManyRequests(BudgetMessage, 0,
                [new StatusCause("DisruptionBudget", $"The disruption budget {name} needs {Number(status["desiredHealthy"])} healthy pods and has {Number(status["currentHealthy"])} currently", null)]);
        }

        status["disruptionsAllowed"] = allowed - 1;
        if (allowed - 1 == 0)
        {
            SetDisruptionAllowedFalse(status);
        }

        // The disruption controller then counts the pod as gone, or forgets it when it is not deleted in time.
        disrupted[podName] = ObjectJson.Time(time.GetUtcNow());
        status["disruptedPods"] = disrupted;
    }

    /// <summary>Upstream's UpdateDisruptionAllowedCondition with no disruption left (meta.SetStatusCondition semantics).</summary>
    private void SetDisruptionAllowedFalse(JsonObject status)
    {
        var conditions = status["conditions"] as JsonArray ?? new JsonArray();
        status["conditions"] = conditions;
        var observed = Number(status["observedGeneration"]);
        var existing = conditions.OfType<JsonObject>().FirstOrDefault(c => ObjectJson.String(c, "type") == "DisruptionAllowed");
        if (existing is null)
        {
            var condition = new JsonObject { ["type"] = "DisruptionAllowed", ["status"] = "False" };
            if (observed != 0)
            {
                condition["observedGeneration"] = observed;
            }

            condition["lastTransitionTime"] = ObjectJson.Time(time.GetUtcNow());
            condition["reason"] = "InsufficientPods";
            condition["message"] = "";
            conditions.Add(condition);
            return;
        }

        if (ObjectJson.String(existing, "status") != "False")
        {
            existing["status"] = "False";
            existing["lastTransitionTime"] = ObjectJson.Time(time.GetUtcNow());
        }

        existing["reason"] = "InsufficientPods";
        existing["message"] ??= "";
        if (observed != 0)
        {
            existing["observedGeneration"] = observed;
        }
        else
        {
            existing.Remove("observedGeneration");
        }
    }

    /// <summary>Upstream's createTooManyRequestsError: 429 with a Retry-After of 10 s.</summary>
    private static StatusException BudgetStillProcessing(string budget) =>
        StatusException.TooManyRequests(BudgetMessage, 10, [new StatusCause("DisruptionBudget", $"The disruption budget {budget} is still being processed by the server.", null)]);

    /// <summary>
    /// Upstream's addConditionAndDeletePod: the pod gets the DisruptionTarget condition (a write on the newest
    /// pod, after the options' preconditions hold), then is deleted as DELETE would delete it. A resourceVersion
    /// precondition moves to the version the condition wrote. A dry run only checks the preconditions.
    /// </summary>
    private async Task MarkAndDeletePodAsync(ResourceInfo pods, string ns, string name, JsonObject options, bool dryRun, CancellationToken cancellationToken)
    {
        var key = pods.StorageKey(ns, name);
        if (dryRun)
        {
            var pod = await GetAsync(pods, ns, name, cancellationToken);
            CheckPreconditions(pods, name, options, ObjectJson.Metadata(pod));
            return;
        }

        while (true)
        {
            var current = await store.GetAsync(key, 0, cancellationToken) ?? throw StatusException.NotFound("", "pods", name);
            var pod = ObjectJson.FromStorage(current.Value, current.ModRevision);
            CheckEvictionPreconditions(name, options, ObjectJson.Metadata(pod));
            var version = current.ModRevision;
            if (SetPodCondition(pod, new JsonObject { ["type"] = "DisruptionTarget", ["status"] = "True", ["reason"] = "EvictionByEvictionAPI", ["message"] = "Eviction API: evicting" }))
            {
                var written = await store.UpdateAsync(key, ObjectJson.ToStorage(pod), current.ModRevision, null, cancellationToken);
                if (written.Status == WriteStatus.Conflict)
                {
                    continue;
                }

                if (written.Status == WriteStatus.NotFound)
                {
                    throw StatusException.NotFound("", "pods", name);
                }

                version = written.Revision;
            }

            if (PreconditionVersion(options) is not null)
            {
                options = WithPreconditionVersion(options, version.ToString(CultureInfo.InvariantCulture));
            }

            break;
        }

        _ = await DeleteOneAsync(pods, ns, name, options, null, cancellationToken) ?? throw StatusException.NotFound("", "pods", name);
    }

    /// <summary>The precondition check of upstream's eviction, with its wording (409 on the kind <c>Pod</c>).</summary>
    private static void CheckEvictionPreconditions(string name, JsonObject options, JsonObject meta)
    {
        var preconditions = options["preconditions"] as JsonObject;
        if (ObjectJson.String(preconditions, "uid") is { Length: > 0 } uid && uid != ObjectJson.String(meta, "uid"))
        {
            throw StatusException.Conflict("", "Pod", name, $"the UID in the precondition ({uid}) does not match the UID in record ({ObjectJson.String(meta, "uid")}). The object might have been deleted and then recreated");
        }

        if (ObjectJson.String(preconditions, "resourceVersion") is { Length: > 0 } rv && rv != ObjectJson.String(meta, "resourceVersion"))
        {
            throw StatusException.Conflict("", "Pod", name, $"the ResourceVersion in the precondition ({rv}) does not match the ResourceVersion in record ({ObjectJson.String(meta, "resourceVersion")}). The object might have been modified");
        }
    }
}
