using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kubesharp.Api.Resources;
using Kubesharp.Api.Schema.Fields;
using Microsoft.AspNetCore.Http;

namespace Kubesharp.ApiServer.Rest;

/// <summary>A request body as JSON, and the keys its YAML form repeated (as go-yaml reports them).</summary>
internal sealed record RequestContent(byte[] Json, IReadOnlyList<string> YamlDuplicates);

/// <summary>
/// Server-side field validation (<c>fieldValidation=Strict|Warn|Ignore</c>, Warn when absent) as upstream's
/// handlers apply it. Create and update check their body; a patch checks the patch for duplicate fields and
/// the patched object for unknown ones, because that is the object the typed decoder reads upstream. Whatever
/// the directive, the stored object is what that decoder would produce: unknown fields dropped, the last of
/// repeated fields kept. Kinds without a schema (custom resources, until they bring theirs) are checked for
/// repeated fields only.
/// </summary>
internal sealed partial class RestHandler
{
    /// <summary>The object of a create or update body, checked and cleaned under the request's directive.</summary>
    private JsonObject DecodeObject(HttpContext context, ResourceInfo resource, RequestContent body, string optionsKind)
    {
        var directive = FieldValidation.Parse(context.Request.Query["fieldValidation"].ToString(), optionsKind);
        var obj = ObjectJson.ParseObject(body.Json);
        // Without a schema only repeated fields can be found; they still must not reach an object that refuses them.
        // Custom resources: unknown fields and types are their schema's (pruning and validation, ADR 6).
        var problems = resource.Custom is null && schemas.SchemaFor(resource)?.Kind is { } schema ? FieldChecker.Check(body.Json, schema) : FieldChecker.Duplicates(body.Json);
        if (problems.Count == 0 && body.YamlDuplicates.Count == 0)
        {
            return obj;
        }

        ThrowIfWrongType(resource, problems);

        if (directive == FieldValidationDirective.Strict)
        {
            throw FieldValidation.BodyError(resource.Kind, resource.Version, FieldValidation.Errors(body.YamlDuplicates, problems));
        }

        if (problems.Any(p => p.Kind == FieldProblemKind.Duplicate))
        {
            obj = (JsonObject)FieldValidation.ParseLastWins(body.Json)!;
        }

        FieldValidation.Prune(obj, problems);
        if (directive == FieldValidationDirective.Warn)
        {
            AddWarnings(context, FieldValidation.Warnings(body.YamlDuplicates, problems));
        }

        return obj;
    }

    /// <summary>
    /// The patch body with repeated fields resolved as Go's decoder resolves them (last wins), and those
    /// repeats as strict-decoding errors. The patch libraries work on objects that cannot hold a name twice.
    /// </summary>
    private static (byte[] Patch, IReadOnlyList<string> Errors) PreparePatch(byte[] patch, string contentType)
    {
        var duplicates = FieldChecker.Duplicates(patch);
        if (duplicates.Count == 0)
        {
            return (patch, []);
        }

        var resolved = JsonSerializer.SerializeToUtf8Bytes(FieldValidation.ParseLastWins(patch));
        // Upstream prefixes the errors it finds in a JSON patch's operations.
        var prefix = contentType == "application/json-patch+json" ? "json patch " : "";
        return (resolved, [.. duplicates.Select(d => prefix + d.Message)]);
    }

    /// <summary>
    /// Checks a patched object under the directive: Strict fails with upstream's 422 on the field <c>patch</c>,
    /// Warn adds the warnings; unknown fields are dropped from <paramref name="patched"/> in every case.
    /// </summary>
    private void CheckPatched(HttpContext context, ResourceInfo resource, FieldValidationDirective directive, JsonObject patched,
        IReadOnlyList<string> patchErrors, string contentType, byte[] patch)
    {
        IReadOnlyList<FieldProblem> unknown = [];
        byte[]? patchedJson = null;
        if (resource.Custom is null && schemas.SchemaFor(resource)?.Kind is { } schema)
        {
            patchedJson = JsonSerializer.SerializeToUtf8Bytes(patched);
            unknown = FieldChecker.Check(patchedJson, schema);
        }

        if (unknown.Count == 0 && patchErrors.Count == 0)
        {
            return;
        }

        ThrowIfWrongType(resource, unknown);

        var errors = patchErrors.Concat(unknown.Select(p => p.Message)).ToList();
        switch (directive)
        {
            case FieldValidationDirective.Strict:
                // Upstream shows the patched object for JSON and merge patches, and the patch as Go prints a map
                // for strategic merge patches.
                var value = contentType == "application/strategic-merge-patch+json"
                    ? FieldValidation.GoMap(JsonNode.Parse(patch))
                    : Encoding.UTF8.GetString(patchedJson ?? JsonSerializer.SerializeToUtf8Bytes(patched));
                throw FieldValidation.PatchError(value, errors);
            case FieldValidationDirective.Warn:
                // A retried patch reports what its last attempt found.
                context.Response.Headers.Remove("Warning");
                AddWarnings(context, errors);
                break;
        }

        FieldValidation.Prune(patched, unknown);
    }

    /// <summary>
    /// The unknown fields a custom resource's schema pruned (paths such as <c>spec.foo</c>), reported as
    /// <c>fieldValidation</c> asks: Strict refuses the request as upstream's strict decoding does (400 on
    /// create and update, 422 on the field <c>patch</c> for a patch), Warn adds a warning per field, Ignore
    /// says nothing. The fields are already gone from the object.
    /// </summary>
    private static void ReportPruned(HttpContext context, ResourceInfo resource, IReadOnlyList<string> pruned, string optionsKind, JsonObject obj)
    {
        if (pruned.Count == 0)
        {
            return;
        }

        var messages = pruned.Select(p => $"unknown field \"{p}\"").ToList();
        switch (FieldValidation.Parse(context.Request.Query["fieldValidation"].ToString(), optionsKind))
        {
            case FieldValidationDirective.Strict when optionsKind == "PatchOptions":
                throw FieldValidation.PatchError(obj.ToJsonString(), messages);
            case FieldValidationDirective.Strict:
                throw FieldValidation.BodyError(resource.Kind, resource.Version, messages);
            case FieldValidationDirective.Warn:
                AddWarnings(context, messages);
                break;
        }
    }

    /// <summary>
    /// A value of the wrong JSON type is a decoding error whatever fieldValidation says: upstream's typed decoder
    /// refuses the body (400), naming the first such field.
    /// </summary>
    private static void ThrowIfWrongType(ResourceInfo resource, IReadOnlyList<FieldProblem> problems)
    {
        if (problems.FirstOrDefault(p => p.Kind == FieldProblemKind.WrongType) is { } wrong)
        {
            throw Kubesharp.Api.Errors.StatusException.BadRequest($"{resource.Kind} in version \"{resource.Version}\" cannot be handled as a {resource.Kind}: {wrong.Message}");
        }
    }

    /// <summary>One <c>Warning: 299 - "text"</c> header per message, as upstream's warning recorder writes them.</summary>
    private static void AddWarnings(HttpContext context, IEnumerable<string> messages)
    {
        foreach (var message in messages)
        {
            var text = message.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
            context.Response.Headers.Append("Warning", $"299 - \"{text}\"");
        }
    }
}
