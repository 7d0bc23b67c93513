using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Kubesharp.Api.Defaulting;
using Kubesharp.Api.Errors;
using Kubesharp.Api.Protobuf;
using Kubesharp.Api.Resources;
using Kubesharp.Api.Schema;
using Kubesharp.Api.Validation;
using Kubesharp.ApiServer.Admission;
using Kubesharp.ApiServer.Auth;
using Kubesharp.ApiServer.Crd;
using Kubesharp.ApiServer.Http;
using Kubesharp.Storage;
using Microsoft.AspNetCore.Http;

namespace Kubesharp.ApiServer.Rest;

/// <summary>
/// The generic REST verbs over the store, for every kind in the resource table: create, get, list,
/// update (and /status), delete. Metadata is stamped and checked here as upstream's generic registry
/// does; per-kind validation and defaulting (strategies) come on top.
/// </summary>
internal sealed partial class RestHandler(IStore store, ResourceTable table, IResourceSchemaSource schemas, TimeProvider time, Cache.WatchCache watchCache)
{
    /// <summary>Cancelled when the server begins to stop: watches end cleanly instead of holding shutdown.</summary>
    public CancellationToken Stopping { get; set; }

    /// <summary>The admission plugins every write passes through (after defaulting, before validation and storage).</summary>
    public AdmissionChain Admission { get; init; } = AdmissionChain.Empty;

    private static readonly string[] ImmutableMeta = ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"];

    public async Task HandleAsync(HttpContext context, ApiPath path)
    {
        var resource = path.Resource!;
        var method = context.Request.Method;
        if (await TryPodActionAsync(context, path))
        {
            return;
        }

        if (path.Subresource == "scale" && resource.Custom is { Scale: not null } && path.Name is not null)
        {
            await CustomResourceScale.HandleAsync(context, store, resource, path.Namespace, path.Name);
            return;
        }

        if (path.Subresource == "scale" && resource.Subresource("scale") is not null && path.Name is not null)
        {
            await ScaleAsync(context, resource, path.Namespace, path.Name);
            return;
        }

        if (path.Subresource is { } sub && sub != "status" && !(sub is "approval" or FinalizeSubresource && resource.Subresource(sub) is not null))
        {
            throw StatusResponses.NotFoundPath(context.Request.Path);
        }

        if (path.Subresource == FinalizeSubresource && method != "PUT")
        {
            // Upstream's FinalizeREST is an Updater alone: no get, no patch.
            throw StatusException.MethodNotAllowed($"the server does not allow this method on the requested resource ({method} {resource.Plural}/{FinalizeSubresource})");
        }

        if (path.Subresource == "status" && !resource.HasStatus)
        {
            throw StatusResponses.NotFoundPath(context.Request.Path);
        }

        if (path.Name is null)
        {
            switch (method)
            {
                case "GET" when IsWatch(context.Request):
                    Require(resource, "watch", method);
                    await WatchAsync(context, resource, path.Namespace);
                    return;
                case "GET":
                    Require(resource, "list", method);
                    await ListAsync(context, resource, path.Namespace);
                    return;
                case "POST":
                    Require(resource, "create", method);
                    await CreateAsync(context, resource, path.Namespace);
                    return;
                case "DELETE":
                    Require(resource, "deletecollection", method);
                    await DeleteCollectionAsync(context, resource, path.Namespace);
                    return;
                default:
                    throw StatusException.MethodNotAllowed($"the server does not allow this method on the requested resource ({method} {resource.Plural})");
            }
        }

        switch (method)
        {
            case "GET":
                Require(resource, "get", method);
                var obj = await GetAsync(resource, path.Namespace, path.Name, context.RequestAborted);
                if (path.Subresource is null && TableOutput.Wanted(context.Request))
                {
                    await WriteTableAsync(context, resource, [obj], null, null);
                    return;
                }

                await WriteObjectAsync(context, HttpStatusCode.OK, obj);
                return;
            case "PUT":
                Require(resource, "update", method);
                await UpdateAsync(context, resource, path.Namespace, path.Name, path.Subresource);
                return;
            case "PATCH":
                Require(resource, "patch", method);
                await PatchAsync(context, resource, path.Namespace, path.Name, path.Subresource);
                return;
            case "DELETE" when path.Subresource is null:
                Require(resource, "delete", method);
                await DeleteAsync(context, resource, path.Namespace, path.Name);
                return;
            default:
                throw StatusException.MethodNotAllowed($"the server does not allow this method on the requested resource ({method} {resource.Plural})");
        }
    }

    /// <summary>The user the request was authenticated as (set by the router before any handler runs).</summary>
    internal static UserInfo UserOf(HttpContext context) => context.Items[typeof(UserInfo)] as UserInfo ?? UserInfo.Anonymous;

    private ValueTask AdmitAsync(HttpContext context, AdmissionOperation operation, ResourceInfo resource, string subresource, string? ns, string name, JsonObject? obj, JsonObject? old, bool dryRun) =>
        Admission.AdmitAsync(new AdmissionRequest(UserOf(context), operation, resource, subresource, ns ?? "", name, obj, old, dryRun), context.RequestAborted);

    private static void Require(ResourceInfo resource, string verb, string method)
    {
        if (!resource.Supports(verb))
        {
            throw StatusException.MethodNotAllowed($"the server does not allow this method on the requested resource ({method} {resource.Plural})");
        }
    }

    private static bool IsWatch(HttpRequest request) =>
        request.Query["watch"].ToString() is "true" or "1";

    private async Task<JsonObject> GetAsync(ResourceInfo resource, string? ns, string name, CancellationToken cancellationToken)
    {
        var kv = await store.GetAsync(resource.StorageKey(ns, name), 0, cancellationToken)
            ?? throw StatusException.NotFound(resource.Group, resource.Plural, name);
        return ObjectJson.FromStorage(resource.ForRead(kv.Value), kv.ModRevision);
    }

    private async Task CreateAsync(HttpContext context, ResourceInfo resource, string? ns)
    {
        var dryRun = CreateDryRun(context.Request);
        var content = await ReadContentAsync(context.Request);
        var obj = DecodeObject(context, resource, content, "CreateOptions");
        ObjectJson.CheckTypeMeta(obj, resource, resource.Kind, resource.GroupVersion);
        Defaults.Apply(resource.Group, resource.Kind, obj);
        if (resource.Kind == "Pod" && resource.Group.Length == 0)
        {
            // Upstream's pod strategy: a new pod's status is the server's, whatever the client sent.
            Defaults.NewPodStatus(obj);
        }

        if (Allocates(resource))
        {
            ServiceAllocation.ServiceAllocator.PrepareForCreate(obj);
        }

        CanonicalizeTimes(resource, obj, content.Json);
        var metadata = ObjectJson.Metadata(obj);
        if (resource.Namespaced)
        {
            var bodyNs = ObjectJson.String(metadata, "namespace");
            if (bodyNs is { Length: > 0 } && bodyNs != ns)
            {
                throw StatusException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
            }

            metadata["namespace"] = ns;
            await RequireNamespaceAsync(resource, ns!, ObjectJson.String(metadata, "name"), context.RequestAborted);
        }
        else
        {
            metadata.Remove("namespace");
        }

        var name = ObjectJson.String(metadata, "name");
        if (string.IsNullOrEmpty(name))
        {
            var generateName = ObjectJson.String(metadata, "generateName");
            if (string.IsNullOrEmpty(generateName))
            {
                throw StatusException.Invalid(resource.Group, resource.Kind, "", [new StatusCause("FieldValueRequired", "Required value: name or generateName is required", "metadata.name")]);
            }

            name = ObjectJson.GenerateName(generateName);
            metadata["name"] = name;
        }

        await AdmitAsync(context, AdmissionOperation.Create, resource, "", ns, name, obj, null, dryRun);
        Validator.ThrowIfInvalid(resource.Group, resource.Kind, name, obj);
        metadata["uid"] = Guid.NewGuid().ToString();
        metadata["creationTimestamp"] = ObjectJson.Time(time.GetUtcNow());
        metadata.Remove("deletionTimestamp");
        metadata.Remove("deletionGracePeriodSeconds");
        metadata.Remove("resourceVersion");
        if (obj.ContainsKey("spec"))
        {
            metadata["generation"] = 1;
        }

        if (DaemonSetTemplateGeneration.Applies(resource.Group, resource.Kind))
        {
            DaemonSetTemplateGeneration.OnCreate(metadata);
        }

        if (resource.Kind == "Namespace")
        {
            // Upstream's namespace strategy: the kubernetes finalizer is always there on create.
            var spec = obj["spec"] as JsonObject ?? [];
            obj["spec"] = spec;
            var finalizers = spec["finalizers"] as JsonArray ?? [];
            spec["finalizers"] = finalizers;
            if (!finalizers.Any(f => f is JsonValue v && v.TryGetValue<string>(out var text) && text == "kubernetes"))
            {
                finalizers.Add("kubernetes");
            }

            obj["status"] = new JsonObject { ["phase"] = "Active" };
        }

        if (resource.Kind == "Job" && resource.Group == "batch" && resource.Custom is null)
        {
            // Upstream's job strategy: the selector and the pod template's labels come from the new UID.
            JobSelector.Generate(obj);
        }

        ReportPruned(context, resource, ResourceStrategies.BeforeCreate(resource, obj, name), "CreateOptions", obj);
        // Upstream allocates in the registry's create hook: after validation here, so that an invalid Service takes nothing.
        var allocation = Allocates(resource) ? await Services!.AllocateCreateAsync(obj, dryRun, context.RequestAborted) : null;
        var stored = ObjectJson.ToStorage(obj);
        if (dryRun)
        {
            // Everything ran but the write: the answer is the object that would have been stored, with no version.
            context.Response.StatusCode = (int)HttpStatusCode.Created;
            context.Response.ContentType = "application/json";
            await context.Response.Body.WriteAsync(stored, context.RequestAborted);
            return;
        }

        var result = await WriteAllocatedAsync(allocation, async () => await store.CreateAsync(resource.StorageKey(ns, name), resource.ForStorage(stored), null, context.RequestAborted));
        if (result.Status == WriteStatus.AlreadyExists)
        {
            throw StatusException.AlreadyExists(resource.Group, resource.Plural, name);
        }

        await WriteStoredAsync(context, HttpStatusCode.Created, stored, result.Revision);
    }

    private async Task UpdateAsync(HttpContext context, ResourceInfo resource, string? ns, string name, string? subresource)
    {
        // The approval subresource of CertificateSigningRequests writes status too; admission keeps it to the conditions.
        var status = subresource is "status" or "approval";
        var dryRun = CreateDryRun(context.Request);
        var content = await ReadContentAsync(context.Request);
        var obj = DecodeObject(context, resource, content, "UpdateOptions");
        ObjectJson.CheckTypeMeta(obj, resource, resource.Kind, resource.GroupVersion);
        var metadata = ObjectJson.Metadata(obj);
        var bodyName = ObjectJson.String(metadata, "name");
        if (bodyName is not null && bodyName != name)
        {
            throw StatusException.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
        }

        var key = resource.StorageKey(ns, name);
        long? requested = null;
        if (ObjectJson.String(metadata, "resourceVersion") is { Length: > 0 } rv)
        {
            requested = long.TryParse(rv, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)
                ? parsed
                : throw StatusException.BadRequest($"invalid resourceVersion \"{rv}\"");
        }

        Defaults.Apply(resource.Group, resource.Kind, obj);
        CanonicalizeTimes(resource, obj, content.Json);
        KeyValue? known = null;
        for (var attempt = 0; ; attempt++)
        {
            // As in PatchAsync: the cache's copy first, the store's after a lost compare-and-swap.
            var current = await ReadForWriteAsync(resource, key, attempt == 0, known, context.RequestAborted) ?? throw StatusException.NotFound(resource.Group, resource.Plural, name);
            known = null;
            if (requested is { } wanted && wanted != current.ModRevision && current.FromCache)
            {
                continue;
            }

            var updated = Merge(resource, current.Object, (JsonObject)obj.DeepClone(), status);
            KeepNamespaceFinalizers(resource, current.Object, updated, subresource);
            var allocates = Allocates(resource) && !status;
            if (allocates)
            {
                ServiceAllocation.ServiceAllocator.PrepareForUpdate(current.ParseOld(resource), updated);
            }

            await AdmitAsync(context, AdmissionOperation.Update, resource, subresource ?? "", ns, name, updated, current.ParseOld(resource), dryRun);
            ReportPruned(context, resource, ResourceStrategies.BeforeUpdate(resource, current.Raw, updated, status, name), "UpdateOptions", updated);
            Validator.ThrowIfInvalidUpdate(resource.Group, resource.Kind, name, current.ParseOld(resource), updated, status);
            var allocation = allocates ? await Services!.AllocateUpdateAsync(current.ParseOld(resource), updated, dryRun, context.RequestAborted) : null;
            var stored = ObjectJson.ToStorage(updated);
            if (dryRun)
            {
                await WriteStoredAsync(context, HttpStatusCode.OK, stored, current.ModRevision);
                return;
            }

            var result = await WriteAllocatedAsync(allocation, () => WriteUpdateAsync(resource, key, updated, stored, requested ?? current.ModRevision, context.RequestAborted));
            switch (result.Status)
            {
                case WriteStatus.Ok:
                    await WriteStoredAsync(context, HttpStatusCode.OK, stored, result.Revision);
                    return;
                case WriteStatus.NotFound:
                    throw StatusException.NotFound(resource.Group, resource.Plural, name);
                case WriteStatus.Conflict when requested is not null || attempt >= PatchRetries:
                    throw StatusException.Conflict(resource.Group, resource.Plural, name, "the object has been modified; please apply your changes to the latest version and try again");
                case WriteStatus.Conflict:
                    // An unconditional update (no resourceVersion) starts again on the new object, as upstream.
                    known = result.Current;
                    break;
            }
        }
    }

    /// <summary>
    /// Writes an update at <paramref name="expected"/>. As upstream's generic registry, an update that leaves an
    /// object being deleted without finalizers (its grace period over) deletes it instead; a namespace also
    /// needs its <c>spec.finalizers</c> empty (upstream's ShouldDeleteNamespaceDuringUpdate).
    /// </summary>
    private async Task<WriteResult> WriteUpdateAsync(ResourceInfo resource, string key, JsonObject updated, byte[] stored, long expected, CancellationToken cancellationToken)
    {
        var meta = ObjectJson.Metadata(updated);
        var graceOver = meta["deletionGracePeriodSeconds"] is not JsonValue grace || !grace.TryGetValue<long>(out var seconds) || seconds == 0;
        if (meta["deletionTimestamp"] is not null && meta["finalizers"] is not JsonArray { Count: > 0 } && graceOver && !HasSpecFinalizers(resource, updated))
        {
            var deleted = await store.DeleteAsync(key, expected, cancellationToken);
            if (deleted.Status == WriteStatus.Ok && Allocates(resource))
            {
                await Services!.ReleaseAsync(updated, CancellationToken.None);
            }

            return deleted;
        }

        return await store.UpdateAsync(key, resource.ForStorage(stored), expected, null, cancellationToken);
    }

    /// <summary>
    /// The object an update writes: the main resource keeps the stored status, /status keeps everything
    /// but status; system metadata is the stored one; generation moves when the spec changed.
    /// </summary>
    internal static JsonObject Merge(ResourceInfo resource, JsonObject stored, JsonObject incoming, bool status)
    {
        JsonObject result;
        if (status)
        {
            result = stored;
            result["status"] = incoming["status"]?.DeepClone();
            // Upstream's deploymentStatusStrategy resets only spec and labels: the Deployment controller writes the
            // deployment.kubernetes.io/revision annotation together with the status, through /status.
            if (resource.Group == "apps" && resource.Kind == "Deployment")
            {
                ObjectJson.Metadata(result)["annotations"] = ObjectJson.Metadata(incoming)["annotations"]?.DeepClone();
            }

            return result;
        }

        result = incoming;
        if (resource.HasStatus)
        {
            result["status"] = stored["status"]?.DeepClone();
        }

        var storedMeta = ObjectJson.Metadata(stored);
        var meta = ObjectJson.Metadata(result);
        foreach (var field in ImmutableMeta)
        {
            // Kept as stored; a field the stored object lacks stays absent (never written as null).
            if (storedMeta[field] is { } kept)
            {
                meta[field] = kept.DeepClone();
            }
            else
            {
                meta.Remove(field);
            }
        }

        meta["name"] = storedMeta["name"]?.DeepClone();
        if (resource.Namespaced)
        {
            meta["namespace"] = storedMeta["namespace"]?.DeepClone();
        }

        if (result.ContainsKey("spec") && !JsonNode.DeepEquals(stored["spec"], result["spec"]))
        {
            var generation = storedMeta["generation"] is JsonValue g && g.TryGetValue<long>(out var n) ? n : 0;
            meta["generation"] = generation + 1;
        }

        if (DaemonSetTemplateGeneration.Applies(resource.Group, resource.Kind))
        {
            DaemonSetTemplateGeneration.OnUpdate(storedMeta, meta, stored["spec"]?["template"], result["spec"]?["template"]);
        }

        return result;
    }

    private async Task DeleteAsync(HttpContext context, ResourceInfo resource, string? ns, string name)
    {
        var options = await ReadDeleteOptionsAsync(context.Request);
        var (obj, held) = await DeleteOneAsync(resource, ns, name, options, UserOf(context), context.RequestAborted)
            ?? throw StatusException.NotFound(resource.Group, resource.Plural, name);
        // Upstream returns pods, services and namespaces themselves (their registries set ReturnDeletedObject, and the
        // clients generated from its OpenAPI expect the object); other kinds get a Status once gone.
        if (held || IsPod(resource) || IsService(resource) || IsNamespace(resource))
        {
            // Upstream answers 202 when the object stays and the (deprecated) orphanDependents=false asked for a cascade.
            await WriteObjectAsync(context, held && OrphanDependents(options) is false ? HttpStatusCode.Accepted : HttpStatusCode.OK, obj);
            return;
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(StatusResponses.Success(resource.Group, resource.Plural, name, ObjectJson.String(ObjectJson.Metadata(obj), "uid")));
    }

    /// <summary>
    /// Deletes one object, or, when finalizers hold it, marks it with a deletionTimestamp. Returns the
    /// object and whether it is still there (held), or null when it was already gone.
    /// </summary>
    private async Task<(JsonObject Object, bool Held)?> DeleteOneAsync(ResourceInfo resource, string? ns, string name, JsonObject? options, UserInfo? user, CancellationToken cancellationToken)
    {
        var key = resource.StorageKey(ns, name);
        while (true)
        {
            var current = await store.GetAsync(key, 0, cancellationToken);
            if (current is null)
            {
                return null;
            }

            var obj = ObjectJson.FromStorage(resource.ForRead(current.Value), current.ModRevision);
            var meta = ObjectJson.Metadata(obj);
            CheckPreconditions(resource, name, options, meta);
            if (user is not null)
            {
                // Null for the deletion an eviction makes: the eviction itself was admitted.
                await Admission.AdmitAsync(new AdmissionRequest(user, AdmissionOperation.Delete, resource, "", ns ?? "", name, null, obj, IsDryRun(options)), cancellationToken);
            }
            if (IsNamespace(resource))
            {
                switch (await MarkNamespaceAsync(resource, key, current, obj, options, cancellationToken))
                {
                    case { Held: true } marked:
                        return marked;
                    case { Held: false }:
                        // Lost the compare-and-swap: read again.
                        continue;
                }

                // Marked before and its spec.finalizers are gone: the generic delete below.
            }

            ResourceStrategies.BeforeDelete(resource, obj, time.GetUtcNow());
            var grace = GracePeriod(resource, obj, options);
            var wasMarked = meta["deletionTimestamp"] is not null;
            // Upstream: once a pod's graceful deletion has begun, DeleteOptions no longer change its finalizers
            // (errAlreadyDeleting); other kinds take the garbage collector's finalizers on every delete.
            var finalizersChanged = !(wasMarked && IsPod(resource)) && ApplyGarbageCollectionFinalizers(resource, meta, options);
            if (meta["finalizers"] is JsonArray { Count: > 0 } || grace > 0)
            {
                // Finalizers hold the object, and a pod on a node is deleted gracefully: mark it for
                // deletion and let the finalizers' owners (or the pod's kubelet) remove it.
                if (!wasMarked || finalizersChanged)
                {
                    if (!wasMarked)
                    {
                        meta["deletionTimestamp"] = ObjectJson.Time(time.GetUtcNow().AddSeconds(grace));
                        meta["deletionGracePeriodSeconds"] = grace;
                    }

                    if (IsDryRun(options))
                    {
                        return (obj, true);
                    }

                    var marked = await store.UpdateAsync(key, resource.ForStorage(ObjectJson.ToStorage(obj)), current.ModRevision, null, cancellationToken);
                    if (marked.Status == WriteStatus.Conflict)
                    {
                        continue;
                    }

                    meta["resourceVersion"] = marked.Revision.ToString(CultureInfo.InvariantCulture);
                }

                return (obj, true);
            }

            if (IsDryRun(options))
            {
                return (obj, false);
            }

            var deleted = await store.DeleteAsync(key, current.ModRevision, cancellationToken);
            switch (deleted.Status)
            {
                case WriteStatus.Conflict:
                    continue;
                case WriteStatus.NotFound:
                    return null;
                default:
                    if (Allocates(resource))
                    {
                        // Upstream's service registry releases in its after-delete hook, whatever asked for the delete.
                        await Services!.ReleaseAsync(obj, CancellationToken.None);
                    }

                    return (obj, false);
            }
        }
    }

    private static bool IsPod(ResourceInfo resource) => resource.Group.Length == 0 && resource.Kind == "Pod";

    private static bool IsService(ResourceInfo resource) => resource.Group.Length == 0 && resource.Kind == "Service";

    /// <summary>
    /// Upstream's graceful deletion applies to pods alone: a pod bound to a node waits for its kubelet for
    /// the grace period (DeleteOptions.gracePeriodSeconds, else spec.terminationGracePeriodSeconds); a pod
    /// never scheduled or already terminated (Succeeded, Failed) goes at once, as does anything else.
    /// </summary>
    private static long GracePeriod(ResourceInfo resource, JsonObject obj, JsonObject? options)
    {
        if (!IsPod(resource) || string.IsNullOrEmpty(ObjectJson.String(obj["spec"] as JsonObject, "nodeName"))
            || ObjectJson.String(obj["status"] as JsonObject, "phase") is "Succeeded" or "Failed")
        {
            return 0;
        }

        if (options?["gracePeriodSeconds"] is JsonValue requested && requested.TryGetValue<long>(out var seconds))
        {
            return Math.Max(0, seconds);
        }

        return obj["spec"]?["terminationGracePeriodSeconds"] is JsonValue spec && spec.TryGetValue<long>(out var fromSpec) ? Math.Max(0, fromSpec) : 30;
    }

    /// <summary>DELETE on a collection: every object that matches the selectors, as one list of what was deleted.</summary>
    private async Task DeleteCollectionAsync(HttpContext context, ResourceInfo resource, string? ns)
    {
        var options = await ReadDeleteOptionsAsync(context.Request);
        var filter = ObjectFilter.FromQuery(context.Request.Query, resource);
        var page = await store.ListAsync(resource.StoragePrefixFor(ns), 0, null, 0, context.RequestAborted);
        var deleted = new JsonArray();
        foreach (var kv in page.Items.Where(kv => filter.Matches(kv.Value)))
        {
            var meta = ObjectJson.Metadata(JsonNode.Parse(kv.Value)!.AsObject());
            var name = ObjectJson.String(meta, "name")!;
            if (await DeleteOneAsync(resource, ns ?? ObjectJson.String(meta, "namespace"), name, options, UserOf(context), context.RequestAborted) is { } result)
            {
                deleted.Add(result.Object);
            }
        }

        var list = new JsonObject
        {
            ["kind"] = resource.ListKind,
            ["apiVersion"] = resource.GroupVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = (await store.GetCurrentRevisionAsync(context.RequestAborted)).ToString(CultureInfo.InvariantCulture) },
            ["items"] = deleted,
        };
        await WriteObjectAsync(context, HttpStatusCode.OK, list);
    }

    private static void CheckPreconditions(ResourceInfo resource, string name, JsonObject? options, JsonObject meta)
    {
        if (options?["preconditions"] is not JsonObject preconditions)
        {
            return;
        }

        if (ObjectJson.String(preconditions, "uid") is { Length: > 0 } uid && uid != ObjectJson.String(meta, "uid"))
        {
            throw StatusException.Conflict(resource.Group, resource.Plural, name, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {ObjectJson.String(meta, "uid")}");
        }

        if (ObjectJson.String(preconditions, "resourceVersion") is { Length: > 0 } rv && rv != ObjectJson.String(meta, "resourceVersion"))
        {
            throw StatusException.Conflict(resource.Group, resource.Plural, name, $"Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {ObjectJson.String(meta, "resourceVersion")}");
        }
    }

    /// <summary>DeleteOptions from the body, with upstream's query-parameter forms filling what the body leaves out.</summary>
    private static async Task<JsonObject?> ReadDeleteOptionsAsync(HttpRequest request)
    {
        var body = await ReadBodyAsync(request, allowEmpty: true);
        var options = body.Length == 0 ? null : ObjectJson.ParseObject(body);
        if (request.Query["gracePeriodSeconds"].ToString() is { Length: > 0 } grace)
        {
            options ??= new JsonObject();
            options["gracePeriodSeconds"] ??= long.TryParse(grace, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds)
                ? seconds
                : throw StatusException.BadRequest($"invalid gracePeriodSeconds \"{grace}\"");
        }

        if (CreateDryRunValues(request) is { Length: > 0 } dryRun && options?["dryRun"] is not JsonArray { Count: > 0 })
        {
            options ??= new JsonObject();
            options["dryRun"] = new JsonArray([.. dryRun.Select(v => (JsonNode)v)]);
        }

        if (request.Query["propagationPolicy"].ToString() is { Length: > 0 } policy)
        {
            options ??= new JsonObject();
            options["propagationPolicy"] ??= policy;
        }

        if (request.Query["orphanDependents"].ToString() is { Length: > 0 } orphan)
        {
            options ??= new JsonObject();
            options["orphanDependents"] ??= bool.TryParse(orphan, out var orphanValue)
                ? orphanValue
                : throw StatusException.BadRequest($"invalid orphanDependents \"{orphan}\"");
        }

        ThrowIfInvalidPropagation(options);
        if (options?["dryRun"] is JsonArray bodyDryRun)
        {
            RequestValidation.ThrowIfInvalidDryRun([.. bodyDryRun.Select(v => v?.ToString() ?? "")]);
        }

        return options;
    }

    /// <summary>DeleteOptions.dryRun (or the query's): the delete is checked and answered but writes nothing.</summary>
    private static bool IsDryRun(JsonObject? options) => options?["dryRun"] is JsonArray { Count: > 0 };

    private async Task RequireNamespaceAsync(ResourceInfo resource, string ns, string? name, CancellationToken cancellationToken)
    {
        var namespaces = table.Find("", "v1", "namespaces")!;
        if (watchCache.TryGetLoaded(namespaces.StoragePrefix)?.TryGet(namespaces.StorageKey(null, ns)) is { } cached)
        {
            RefuseCreateInTerminating(resource, ns, name, cached.Json);
            return;
        }

        var stored = await store.GetAsync(namespaces.StorageKey(null, ns), 0, cancellationToken) ?? throw StatusException.NotFound("", "namespaces", ns);
        RefuseCreateInTerminating(resource, ns, name, stored.Value);
    }

    /// <summary>A request body as JSON: JSON as sent, YAML converted (its repeated keys dropped; see <see cref="ReadContentAsync"/>).</summary>
    internal static async Task<byte[]> ReadBodyAsync(HttpRequest request, bool allowEmpty = false) =>
        (await ReadContentAsync(request, allowEmpty)).Json;

    /// <summary>
    /// A request body as JSON, with the keys a YAML body repeated (for the field validation directive). Bodies
    /// over 3 MiB are 413; a content type other than JSON or YAML is 415 (server-side apply's
    /// <c>application/apply-patch+yaml</c> among them); malformed YAML is 400.
    /// </summary>
    internal static async Task<RequestContent> ReadContentAsync(HttpRequest request, bool allowEmpty = false)
    {
        var contentType = request.ContentType ?? "application/json";
        using var buffer = new MemoryStream(request.ContentLength is > 0 and <= ObjectJson.MaxBodyBytes ? (int)request.ContentLength : 4096);
        var chunk = System.Buffers.ArrayPool<byte>.Shared.Rent(16 * 1024);
        var tooLarge = request.ContentLength > ObjectJson.MaxBodyBytes;
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
            {
                // Over the limit: keep reading (and dropping) so that the client, still sending, gets the 413
                // instead of a reset connection. Kestrel's own limit (ApiServerHost) bounds how much is drained.
                tooLarge |= buffer.Length + read > ObjectJson.MaxBodyBytes;
                if (!tooLarge)
                {
                    buffer.Write(chunk, 0, read);
                }
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(chunk);
        }

        if (tooLarge)
        {
            throw StatusException.TooLarge("Request entity too large: limit is 3145728");
        }

        if (buffer.Length == 0 && allowEmpty)
        {
            return new RequestContent([], []);
        }

        if (contentType.StartsWith("application/yaml", StringComparison.OrdinalIgnoreCase))
        {
            var (json, duplicates) = Http.YamlBody.ToJson(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
            return new RequestContent(json, duplicates);
        }

        if (KubernetesProtobuf.IsMediaType(contentType))
        {
            return new RequestContent(KubernetesProtobuf.ToJson(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)), []);
        }

        if (!contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) && !contentType.StartsWith("*/*", StringComparison.Ordinal))
        {
            throw StatusException.UnsupportedMediaType(contentType);
        }

        return new RequestContent(buffer.ToArray(), []);
    }

    /// <summary>Answers with an object as just written: its stored bytes with the new resourceVersion spliced in, no second serialisation.</summary>
    internal static async Task WriteStoredAsync(HttpContext context, HttpStatusCode code, byte[] stored, long revision)
    {
        context.Response.StatusCode = (int)code;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(ObjectJson.WithResourceVersion(stored, revision), context.RequestAborted);
    }

    internal static async Task WriteObjectAsync(HttpContext context, HttpStatusCode code, JsonNode obj)
    {
        context.Response.StatusCode = (int)code;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(ObjectJson.Serialize(obj), context.RequestAborted);
    }
}
