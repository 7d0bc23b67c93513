using System.Text.Json;
using Kubesharp.Api.Schema;

namespace Kubesharp.ApiServer.OpenApi;

/// <summary>The body an operation takes.</summary>
internal enum RequestBody
{
    None,

    /// <summary>The object itself (create, replace), as JSON or YAML.</summary>
    Object,

    /// <summary>A patch: every patch content type the kind takes.</summary>
    Patch,

    /// <summary>DeleteOptions.</summary>
    DeleteOptions,
}

/// <summary>
/// One operation of a path, as upstream's documents describe it: <c>x-kubernetes-action</c> and
/// <c>x-kubernetes-group-version-kind</c> (which kubectl matches to find a kind's operations), parameters,
/// request body and responses.
/// </summary>
internal sealed record OpenApiOperation(
    string Action,
    string OperationId,
    string Description,
    string Tag,
    GroupVersionKind? Kind,
    IReadOnlyList<OpenApiParameter> Parameters,
    RequestBody Body,
    string? BodySchema,
    IReadOnlyList<int> Codes,
    string ResponseSchema,
    bool StrategicMergePatch = true,
    bool Stream = false)
{
    private static readonly Dictionary<int, string> Reasons = new() { [200] = "OK", [201] = "Created", [202] = "Accepted" };

    public void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("description", Description);
        w.WriteString("operationId", OperationId);
        if (Parameters.Count > 0)
        {
            w.WriteStartArray("parameters");
            foreach (var parameter in Parameters)
            {
                parameter.Write(w);
            }

            w.WriteEndArray();
        }

        if (Body != RequestBody.None)
        {
            w.WriteStartObject("requestBody");
            w.WriteStartObject("content");
            var types = Body switch
            {
                RequestBody.Object => ["application/json", "application/yaml"],
                RequestBody.Patch => StrategicMergePatch
                    ? ["application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json"]
                    : new[] { "application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json" },
                _ => ["application/json"],
            };
            foreach (var type in types)
            {
                Content(w, type, BodySchema!);
            }

            w.WriteEndObject();
            if (Body is RequestBody.Object or RequestBody.Patch)
            {
                w.WriteBoolean("required", true);
            }

            w.WriteEndObject();
        }

        w.WriteStartObject("responses");
        foreach (var code in Codes)
        {
            w.WriteStartObject(code.ToString(System.Globalization.CultureInfo.InvariantCulture));
            w.WriteStartObject("content");
            Content(w, "application/json", ResponseSchema);
            if (Stream)
            {
                Content(w, "application/json;stream=watch", ResponseSchema);
            }

            w.WriteEndObject();
            w.WriteString("description", Reasons[code]);
            w.WriteEndObject();
        }

        w.WriteEndObject();
        w.WriteStartArray("tags");
        w.WriteStringValue(Tag);
        w.WriteEndArray();
        if (Action.Length > 0)
        {
            w.WriteString("x-kubernetes-action", Action);
        }

        if (Kind is not null)
        {
            w.WritePropertyName("x-kubernetes-group-version-kind");
            OpenApiSchemaWriter.GroupVersionKind(w, Kind);
        }

        w.WriteEndObject();
    }

    private static void Content(Utf8JsonWriter w, string type, string schema)
    {
        w.WriteStartObject(type);
        w.WriteStartObject("schema");
        w.WriteString("$ref", OpenApiSchemaWriter.RefPrefix + schema);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
