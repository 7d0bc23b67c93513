using System.Text.Json;

namespace Kubesharp.ApiServer.OpenApi;

/// <summary>One operation parameter: upstream's name, place and type; the descriptions are this project's.</summary>
internal sealed record OpenApiParameter(string Name, string In, string Type, string Description, bool Required = false)
{
    public void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("description", Description);
        w.WriteString("in", In);
        w.WriteString("name", Name);
        if (Required)
        {
            w.WriteBoolean("required", true);
        }

        w.WriteStartObject("schema");
        w.WriteString("type", Type);
        // Upstream marks every parameter schema so; kept for clients that compare documents.
        w.WriteBoolean("uniqueItems", true);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}

/// <summary>The parameters of the Kubernetes REST operations, by the sets each operation takes.</summary>
internal static class OpenApiParameters
{
    public static readonly OpenApiParameter Name = new("name", "path", "string", "The name of the object.", Required: true);
    public static readonly OpenApiParameter Namespace = new("namespace", "path", "string", "The namespace of the object.", Required: true);
    public static readonly OpenApiParameter Pretty = new("pretty", "query", "string", "Indent the response when 'true'.");

    private static readonly OpenApiParameter DryRun = new("dryRun", "query", "string", "'All' runs every stage of the request without persisting the result.");
    private static readonly OpenApiParameter FieldManager = new("fieldManager", "query", "string", "The name of the actor making the change (at most 128 printable characters).");

    /// <summary>The parameter kubectl looks for on PATCH to decide that the server validates fields itself.</summary>
    private static readonly OpenApiParameter FieldValidation = new("fieldValidation", "query", "string",
        "What to do with unknown or duplicate fields in the request body: 'Ignore' drops them, 'Warn' (the default) drops them and answers with a warning for each, 'Strict' fails the request.");

    private static readonly OpenApiParameter Force = new("force", "query", "boolean", "Take over conflicting fields of an apply patch; only valid with apply patches.");
    private static readonly OpenApiParameter GracePeriod = new("gracePeriodSeconds", "query", "integer", "Seconds to wait before the object is deleted; 0 deletes at once; unset takes the kind's default.");
    private static readonly OpenApiParameter IgnoreStoreReadError = new("ignoreStoreReadErrorWithClusterBreakingPotential", "query", "boolean", "Delete an object that cannot be read from storage. Dangerous.");
    private static readonly OpenApiParameter Orphan = new("orphanDependents", "query", "boolean", "Deprecated in favour of propagationPolicy: whether dependents are orphaned.");
    private static readonly OpenApiParameter Propagation = new("propagationPolicy", "query", "string", "How dependents are garbage collected: 'Orphan', 'Background' or 'Foreground'.");

    private static readonly OpenApiParameter[] ListOnly =
    [
        new("allowWatchBookmarks", "query", "boolean", "Ask a watch for BOOKMARK events."),
        new("continue", "query", "string", "The token of the previous page of a list, to get the next page."),
        new("fieldSelector", "query", "string", "Only objects whose fields match this selector."),
        new("labelSelector", "query", "string", "Only objects whose labels match this selector."),
        new("limit", "query", "integer", "The largest number of objects to return; more may be read with the returned continue token."),
        new("resourceVersion", "query", "string", "The version the request is served from; see resourceVersionMatch."),
        new("resourceVersionMatch", "query", "string", "How resourceVersion applies to a list: 'Exact' or 'NotOlderThan'."),
        new("sendInitialEvents", "query", "boolean", "Start a watch with the current objects as ADDED events, then a bookmark."),
        new("timeoutSeconds", "query", "integer", "End the list or watch after this many seconds."),
        new("watch", "query", "boolean", "Watch for changes instead of listing: a stream of ADDED, MODIFIED and DELETED events."),
    ];

    public static IReadOnlyList<OpenApiParameter> List => ListOnly;

    public static IReadOnlyList<OpenApiParameter> Write { get; } = [DryRun, FieldManager, FieldValidation];

    public static IReadOnlyList<OpenApiParameter> Patch { get; } = [DryRun, FieldManager, FieldValidation, Force];

    public static IReadOnlyList<OpenApiParameter> Delete { get; } = [DryRun, GracePeriod, IgnoreStoreReadError, Orphan, Propagation];

    public static IReadOnlyList<OpenApiParameter> DeleteCollection { get; } = [.. Delete, .. ListOnly];
}
