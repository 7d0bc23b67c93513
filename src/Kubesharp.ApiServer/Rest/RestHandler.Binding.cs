using System.Net;
using System.Text.Json.Nodes;
using Kubesharp.Api.Errors;
using Kubesharp.Api.Resources;
using Kubesharp.Api.Validation;
using Kubesharp.ApiServer.Admission;
using Kubesharp.ApiServer.Http;
using Kubesharp.Storage;
using Microsoft.AspNetCore.Http;

namespace Kubesharp.ApiServer.Rest;

internal sealed partial class RestHandler
{
    /// <summary>
    /// The create-only pod actions, which write other objects than the one they are posted as:
    /// <c>POST pods/NAME/binding</c> and the older <c>POST bindings</c> (this file), and
    /// <c>POST pods/NAME/eviction</c> (RestHandler.Eviction.cs). Returns false for any other path; other verbs
    /// on <c>bindings</c> are left to the generic verbs, which refuse them from the row's verbs (create only).
    /// </summary>
    private async Task<bool> TryPodActionAsync(HttpContext context, ApiPath path)
    {
        if (path.Resource is not { Group: "" } resource || path.Namespace is not { } ns)
        {
            return false;
        }

        switch (resource.Plural, path.Name, path.Subresource)
        {
            case ("pods", { } name, "binding" or "eviction") when resource.Subresource(path.Subresource) is not null:
                if (context.Request.Method != "POST")
                {
                    throw StatusException.MethodNotAllowed($"the server does not allow this method on the requested resource ({context.Request.Method} pods/{path.Subresource})");
                }

                await (path.Subresource == "binding" ? BindAsync(context, ns, name) : EvictAsync(context, ns, name));
                return true;
            case ("bindings", null, null) when context.Request.Method == "POST":
                await BindAsync(context, ns, urlName: null);
                return true;
            default:
                return false;
        }
    }

    private ResourceInfo Pods => table.Find("", "v1", "pods")!;

    /// <summary>
    /// Binds a pod to a node as upstream's BindingREST: the Binding's <c>metadata.name</c> is the pod (and must
    /// equal the name in the URL, when there is one), its <c>target</c> the node. The pod gets
    /// <c>spec.nodeName</c> only if it has none, the Binding's annotations, and PodScheduled=True, in one
    /// compare-and-swap that starts again on a concurrent write. The Binding's own <c>metadata.uid</c> and
    /// <c>metadata.resourceVersion</c>, when set, are preconditions on the pod. Answers 201 with a Success Status.
    /// </summary>
    private async Task BindAsync(HttpContext context, string ns, string? urlName)
    {
        var pods = Pods;
        var binding = ObjectJson.ParseObject(await ReadBodyAsync(context.Request));
        ObjectJson.CheckTypeMeta(binding, pods, "Binding", "v1");
        var dryRun = CreateDryRun(context.Request);
        var meta = ObjectJson.Metadata(binding);
        CheckBodyNamespace(meta, ns);
        var name = ObjectJson.String(meta, "name") ?? "";
        if (urlName is not null && name != urlName)
        {
            throw StatusException.BadRequest("name in URL does not match name in Binding object");
        }

        if (RequestValidation.PodBinding(binding) is { } invalid)
        {
            // Upstream returns the field errors as a plain error, which the apiserver answers with 500 and no reason.
            throw StatusException.Unclassified(invalid);
        }

        if (name.Length == 0)
        {
            throw StatusException.BadRequest("Name parameter required.");
        }

        await AdmitAsync(context, AdmissionOperation.Create, pods, "binding", ns, name, binding, null, dryRun);
        var node = ObjectJson.String(binding["target"] as JsonObject, "name")!;
        var uid = ObjectJson.String(meta, "uid");
        var version = ObjectJson.String(meta, "resourceVersion");
        var key = pods.StorageKey(ns, name);
        while (true)
        {
            var current = await store.GetAsync(key, 0, context.RequestAborted) ?? throw StatusException.NotFound("", "pods", name);
            var pod = ObjectJson.FromStorage(current.Value, current.ModRevision);
            var podMeta = ObjectJson.Metadata(pod);
            CheckStoragePreconditions(key, name, uid, version, podMeta);
            AssignPod(pod, name, node, meta["annotations"] as JsonObject);
            if (dryRun)
            {
                break;
            }

            var result = await store.UpdateAsync(key, ObjectJson.ToStorage(pod), current.ModRevision, null, context.RequestAborted);
            if (result.Status == WriteStatus.Ok)
            {
                break;
            }

            if (result.Status == WriteStatus.NotFound)
            {
                throw StatusException.NotFound("", "pods", name);
            }
        }

        await WriteCreatedStatusAsync(context);
    }

    /// <summary>Upstream's setPodHostAndAnnotations on the pod read from storage; its refusals are 409 on <c>pods/binding</c>.</summary>
    private void AssignPod(JsonObject pod, string name, string node, JsonObject? annotations)
    {
        var meta = ObjectJson.Metadata(pod);
        var spec = pod["spec"] as JsonObject ?? new JsonObject();
        pod["spec"] = spec;
        if (meta["deletionTimestamp"] is not null)
        {
            throw StatusException.Conflict("", "pods/binding", name, $"pod {name} is being deleted, cannot be assigned to a host");
        }

        if (ObjectJson.String(spec, "nodeName") is { Length: > 0 } assigned)
        {
            throw StatusException.Conflict("", "pods/binding", name, $"pod {name} is already assigned to node \"{assigned}\"");
        }

        if (spec["schedulingGates"] is JsonArray { Count: > 0 })
        {
            throw StatusException.Conflict("", "pods/binding", name, $"pod {name} has non-empty .spec.schedulingGates");
        }

        spec["nodeName"] = node;
        if (annotations is { Count: > 0 })
        {
            var podAnnotations = meta["annotations"] as JsonObject ?? new JsonObject();
            meta["annotations"] = podAnnotations;
            foreach (var (k, v) in annotations)
            {
                podAnnotations[k] = v?.DeepClone();
            }
        }

        SetPodCondition(pod, new JsonObject { ["type"] = "PodScheduled", ["status"] = "True" });
    }

    /// <summary>
    /// Upstream's podutil.UpdatePodCondition: the condition replaces any of its type, keeping the old
    /// lastTransitionTime when the status did not change. Returns whether anything changed (a write is needed).
    /// </summary>
    private bool SetPodCondition(JsonObject pod, JsonObject condition)
    {
        var status = pod["status"] as JsonObject ?? new JsonObject();
        pod["status"] = status;
        var conditions = status["conditions"] as JsonArray ?? new JsonArray();
        status["conditions"] = conditions;
        var type = ObjectJson.String(condition, "type");
        // Go's zero metav1.Time serializes as null, and upstream sets no probe time here.
        condition["lastProbeTime"] = null;
        condition["lastTransitionTime"] = ObjectJson.Time(time.GetUtcNow());
        for (var i = 0; i < conditions.Count; i++)
        {
            if (conditions[i] is not JsonObject old || ObjectJson.String(old, "type") != type)
            {
                continue;
            }

            if (ObjectJson.String(old, "status") == ObjectJson.String(condition, "status"))
            {
                condition["lastTransitionTime"] = old["lastTransitionTime"]?.DeepClone();
            }

            var same = PodConditionFields.All(field => ObjectJson.String(old, field) == ObjectJson.String(condition, field));
            conditions[i] = Ordered(condition);
            return !same;
        }

        conditions.Add(Ordered(condition));
        return true;
    }

    /// <summary>A PodCondition's fields in Go's declaration order, as upstream writes them.</summary>
    private static readonly string[] PodConditionFields = ["type", "status", "lastProbeTime", "lastTransitionTime", "reason", "message"];

    private static JsonObject Ordered(JsonObject condition)
    {
        var ordered = new JsonObject();
        foreach (var field in PodConditionFields)
        {
            if (condition.TryGetPropertyValue(field, out var value))
            {
                ordered[field] = value?.DeepClone();
            }
        }

        return ordered;
    }

    /// <summary>
    /// The storage layer's preconditions (upstream's storage.Preconditions.Check), reported as upstream's
    /// registry reports an invalid-object storage error: 409 on <c>pods</c>.
    /// </summary>
    private static void CheckStoragePreconditions(string key, string name, string? uid, string? version, JsonObject meta)
    {
        string? failed = null;
        if (uid is { Length: > 0 } && uid != ObjectJson.String(meta, "uid"))
        {
            failed = $"Precondition failed: UID in precondition: {uid}, UID in object meta: {ObjectJson.String(meta, "uid")}";
        }
        else if (version is { Length: > 0 } && version != ObjectJson.String(meta, "resourceVersion"))
        {
            failed = $"Precondition failed: ResourceVersion in precondition: {version}, ResourceVersion in object meta: {ObjectJson.String(meta, "resourceVersion")}";
        }

        if (failed is not null)
        {
            throw StatusException.Conflict("", "pods", name, $"StorageError: invalid object, Code: 4, Key: {key}, ResourceVersion: 0, AdditionalErrorMsg: {failed}");
        }
    }

    /// <summary>As upstream's create handler: a namespace in the body must be the request's.</summary>
    private static void CheckBodyNamespace(JsonObject meta, string ns)
    {
        if (ObjectJson.String(meta, "namespace") is { Length: > 0 } bodyNs && bodyNs != ns)
        {
            throw StatusException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }
    }

    /// <summary>The <c>dryRun</c> query parameter of a create, checked as upstream (only <c>All</c>); true when set.</summary>
    private static bool CreateDryRun(HttpRequest request) => CreateDryRunValues(request).Length > 0;

    private static string[] CreateDryRunValues(HttpRequest request)
    {
        string[] values = [.. request.Query["dryRun"].Where(v => !string.IsNullOrEmpty(v)).Select(v => v!)];
        RequestValidation.ThrowIfInvalidDryRun(values);
        return values;
    }

    /// <summary>What upstream's create handler writes for a REST create that returns a bare Success Status: code 201.</summary>
    private static Task WriteCreatedStatusAsync(HttpContext context) =>
        WriteObjectAsync(context, HttpStatusCode.Created, new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Success",
            ["code"] = 201,
        });
}
