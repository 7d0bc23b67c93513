using System.Net;
using System.Text.Json;
using Kubesharp.Api.Errors;
using Microsoft.AspNetCore.Http;

namespace Kubesharp.ApiServer.Http;

/// <summary>Writes <c>meta.k8s.io/v1 Status</c> bodies, the only shape an API error takes.</summary>
internal static class StatusResponses
{
    // Go's encoder writes a quote as \" (not \u0022): messages read the same in a raw body as in kubectl.
    private static readonly JsonWriterOptions GoJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task WriteAsync(HttpContext context, StatusException error)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        context.Response.StatusCode = (int)error.Code;
        context.Response.ContentType = "application/json";
        if (error.Headers is not null)
        {
            foreach (var (name, value) in error.Headers)
            {
                context.Response.Headers[name] = value;
            }
        }

        await context.Response.Body.WriteAsync(Serialize(error));
    }

    /// <summary>The Status object of an error, as JSON bytes (also used inside watch ERROR events).</summary>
    public static byte[] Serialize(StatusException error)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, GoJson))
        {
            WriteStatus(w, error);
        }

        return buffer.ToArray();
    }

    public static void WriteStatus(Utf8JsonWriter w, StatusException error)
    {
        w.WriteStartObject();
        w.WriteString("kind", "Status");
        w.WriteString("apiVersion", "v1");
        w.WriteStartObject("metadata");
        w.WriteEndObject();
        w.WriteString("status", "Failure");
        w.WriteString("message", error.Message);
        if (error.Reason.Length > 0)
        {
            // Go leaves an empty reason out (omitempty): errors that are not a Status upstream.
            w.WriteString("reason", error.Reason);
        }
        if (error.Details is { } d)
        {
            w.WriteStartObject("details");
            WriteIfSet(w, "name", d.Name);
            WriteIfSet(w, "group", d.Group);
            WriteIfSet(w, "kind", d.Resource ?? d.Kind);
            if (d.Causes.Count > 0)
            {
                w.WriteStartArray("causes");
                foreach (var c in d.Causes)
                {
                    w.WriteStartObject();
                    w.WriteString("reason", c.Reason);
                    w.WriteString("message", c.Message);
                    WriteIfSet(w, "field", c.Field);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            }

            if (d.RetryAfterSeconds > 0)
            {
                w.WriteNumber("retryAfterSeconds", d.RetryAfterSeconds);
            }

            w.WriteEndObject();
        }

        w.WriteNumber("code", (int)error.Code);
        w.WriteEndObject();
    }

    /// <summary>The Status of a successful delete that removed the object at once.</summary>
    public static byte[] Success(string group, string kindPlural, string name, string? uid)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, GoJson))
        {
            w.WriteStartObject();
            w.WriteString("kind", "Status");
            w.WriteString("apiVersion", "v1");
            w.WriteStartObject("metadata");
            w.WriteEndObject();
            w.WriteString("status", "Success");
            w.WriteStartObject("details");
            w.WriteString("name", name);
            WriteIfSet(w, "group", group.Length == 0 ? null : group);
            w.WriteString("kind", kindPlural);
            WriteIfSet(w, "uid", uid);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    public static StatusException NotFoundPath(string path) =>
        new(HttpStatusCode.NotFound, "NotFound", $"the server could not find the requested resource ({path})");

    private static void WriteIfSet(Utf8JsonWriter w, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            w.WriteString(name, value);
        }
    }
}
