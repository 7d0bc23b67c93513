using Kubesharp.Storage.Etcd;
using Kubesharp.Storage.Memory;
using Kubesharp.Storage.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Storage;

/// <summary>Which backend to open, from the <c>--datastore</c> flag.</summary>
public enum StoreKind
{
    Sqlite,
    Memory,
    Etcd,
}

/// <summary>A parsed <c>--datastore</c> value.</summary>
public sealed record StoreOptions(StoreKind Kind, string? SqlitePath, IReadOnlyList<Uri> EtcdEndpoints)
{
    /// <summary>
    /// Parses <c>sqlite</c>, <c>memory</c>, or <c>etcd://h1:2379,h2:2379</c> (also <c>http://...</c>
    /// endpoints separated by commas). Throws <see cref="ArgumentException"/> with a message for the user.
    /// </summary>
    public static StoreOptions Parse(string datastore, string dataDir)
    {
        if (datastore is "sqlite" or "")
        {
            return new StoreOptions(StoreKind.Sqlite, Path.Combine(dataDir, "db", "state.db"), []);
        }

        if (datastore == "memory")
        {
            return new StoreOptions(StoreKind.Memory, null, []);
        }

        if (datastore.StartsWith("etcd://", StringComparison.Ordinal))
        {
            var endpoints = new List<Uri>();
            foreach (var part in datastore["etcd://".Length..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var text = part.Contains("://", StringComparison.Ordinal) ? part : "http://" + part;
                var hostPort = text[(text.IndexOf("://", StringComparison.Ordinal) + 3)..].TrimEnd('/');
                if (!hostPort.Contains(':', StringComparison.Ordinal) || !Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.AbsolutePath != "/")
                {
                    throw new ArgumentException($"--datastore: \"{part}\" is not HOST:PORT");
                }

                endpoints.Add(uri);
            }

            return endpoints.Count == 0
                ? throw new ArgumentException("--datastore etcd:// needs at least one HOST:PORT")
                : new StoreOptions(StoreKind.Etcd, null, endpoints);
        }

        throw new ArgumentException($"--datastore \"{datastore}\" is not sqlite, memory or etcd://HOST:PORT[,HOST:PORT...]");
    }

    public string Describe() => Kind switch
    {
        StoreKind.Sqlite => SqlitePath!,
        StoreKind.Etcd => string.Join(",", EtcdEndpoints.Select(e => e.Authority)),
        _ => "in memory",
    };
}

/// <summary>Opens the configured backend. Used by the API server's host only.</summary>
public static class StoreFactory
{
    public static async Task<IStore> OpenAsync(StoreOptions options, ILoggerFactory? loggers = null, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        loggers ??= NullLoggerFactory.Instance;
        return options.Kind switch
        {
            StoreKind.Sqlite => await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = options.SqlitePath! }, time, loggers.CreateLogger("storage-sqlite"), cancellationToken),
            StoreKind.Memory => new MemoryStore(time, loggers.CreateLogger("storage-memory")),
            StoreKind.Etcd => new EtcdStore(
                new EtcdStoreOptions { Endpoints = string.Join(",", options.EtcdEndpoints.Select(e => e.GetLeftPart(UriPartial.Authority))), CompactionInterval = TimeSpan.FromMinutes(5) },
                loggers.CreateLogger("storage-etcd"),
                time),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Kind, "unknown datastore kind"),
        };
    }
}
