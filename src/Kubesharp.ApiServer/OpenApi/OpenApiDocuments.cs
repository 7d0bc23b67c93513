using System.Security.Cryptography;
using System.Text.Json;
using Kubesharp.Api.Resources;
using Kubesharp.Api.Schema;
using Microsoft.AspNetCore.Http;

namespace Kubesharp.ApiServer.OpenApi;

/// <summary>
/// The OpenAPI v3 endpoints: <c>GET /openapi/v3</c>, the index of documents with the hash of each, and
/// <c>GET /openapi/v3/&lt;path&gt;</c>, one document (<c>api/v1</c>, <c>apis/apps/v1</c>, <c>api</c>, <c>apis</c>,
/// <c>apis/apps</c>...). Every document is built on the first request after start or after
/// <see cref="Invalidate"/>, all at once (the index needs their hashes), and served as cached bytes afterwards.
/// </summary>
/// <remarks>
/// Thread-safe. <see cref="Invalidate"/> is how a changing resource table (custom resources) asks for new
/// documents: the next request rebuilds from the table and the schema sources as they are then. A build that
/// raced with an invalidation is used for the requests that waited on it but not kept.
/// As upstream: the hash is the SHA-512 of the document's bytes; a request naming the current hash may be
/// cached for good (<c>Cache-Control: public, immutable</c>), a request naming another hash is redirected to
/// the current one (301), and <c>If-None-Match</c> with the current ETag answers 304.
/// </remarks>
internal sealed class OpenApiDocuments(Func<ResourceTable> table, IResourceSchemaSource schemas, string serverVersion)
{
    private const string Prefix = "/openapi/v3";

    private readonly Lock _gate = new();
    private readonly OpenApiDocumentBuilder _builder = new(schemas, serverVersion);
    private Snapshot? _current;
    private long _generation;

    /// <summary>Drops the built documents; the next request builds them again.</summary>
    public void Invalidate()
    {
        lock (_gate)
        {
            _generation++;
            _current = null;
        }
    }

    /// <summary>Serves <c>/openapi/v3</c> or a document under it; false when <paramref name="path"/> is not one.</summary>
    public async Task<bool> TryServeAsync(HttpContext context, string path)
    {
        if (!path.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = path[Prefix.Length..].Trim('/');
        var snapshot = Current();
        if (rest.Length == 0)
        {
            await WriteAsync(context, snapshot.Index, null);
            return true;
        }

        if (!snapshot.Documents.TryGetValue(rest, out var document))
        {
            return false;
        }

        var requested = context.Request.Query["hash"].ToString();
        if (requested.Length > 0 && requested != document.Hash)
        {
            context.Response.StatusCode = StatusCodes.Status301MovedPermanently;
            context.Response.Headers.Location = $"{Prefix}/{rest}?hash={document.Hash}";
            return true;
        }

        var etag = $"\"{document.Hash}\"";
        context.Response.Headers.ETag = etag;
        context.Response.Headers.CacheControl = requested.Length > 0 ? "public, immutable" : "no-cache, private";
        if (context.Request.Headers.IfNoneMatch.ToString() == etag)
        {
            context.Response.StatusCode = StatusCodes.Status304NotModified;
            return true;
        }

        await WriteAsync(context, document.Bytes, null);
        return true;
    }

    /// <summary>The current documents, building them when needed.</summary>
    internal Snapshot Current()
    {
        long generation;
        lock (_gate)
        {
            // A CRD came, changed or went: the table's revision moved, and the documents are built again.
            if (_current is { } stale && stale.TableRevision != table().Revision)
            {
                _generation++;
                _current = null;
            }

            if (_current is { } ready)
            {
                return ready;
            }

            generation = _generation;
        }

        // Built outside the lock: a build takes a while the first time (reflection, descriptions), and two
        // concurrent builds produce the same bytes.
        var built = Build();
        lock (_gate)
        {
            if (_generation == generation)
            {
                _current ??= built;
                return _current;
            }
        }

        return built;
    }

    private Snapshot Build()
    {
        var tableRevision = table().Revision;
        var rows = table().All;
        var documents = new SortedDictionary<string, Document>(StringComparer.Ordinal)
        {
            ["api"] = Document.Of(_builder.CoreRoot()),
            ["apis"] = Document.Of(_builder.GroupsRoot()),
        };
        foreach (var gv in rows.GroupBy(r => (r.Group, r.Version)))
        {
            var (group, version) = gv.Key;
            var key = group.Length == 0 ? $"api/{version}" : $"apis/{group}/{version}";
            documents[key] = Document.Of(_builder.GroupVersion(group, version, gv));
            if (group.Length > 0)
            {
                documents.TryAdd($"apis/{group}", Document.Of(_builder.Group(group)));
            }
        }

        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartObject("paths");
            foreach (var (key, document) in documents)
            {
                w.WriteStartObject(key);
                w.WriteString("serverRelativeURL", $"{Prefix}/{key}?hash={document.Hash}");
                w.WriteEndObject();
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        return new Snapshot(buffer.ToArray(), documents, tableRevision);
    }

    private static async Task WriteAsync(HttpContext context, byte[] body, string? contentType)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = contentType ?? "application/json";
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    internal sealed record Document(byte[] Bytes, string Hash)
    {
        public static Document Of(byte[] bytes) => new(bytes, Convert.ToHexString(SHA512.HashData(bytes)));
    }

    internal sealed record Snapshot(byte[] Index, IReadOnlyDictionary<string, Document> Documents, long TableRevision);
}
