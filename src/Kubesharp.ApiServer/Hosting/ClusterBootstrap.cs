using System.Text.Json;
using System.Text.Json.Nodes;
using Kubesharp.Api.Auth;
using Kubesharp.ApiServer.Auth.Authentication;
using Kubesharp.ApiServer.Pki;
using Kubesharp.Storage;
using Microsoft.Extensions.Logging;

namespace Kubesharp.ApiServer.Hosting;

/// <summary>
/// The secrets that make several API servers on one datastore one cluster (k3s's "bootstrap data"): the cluster CA
/// (<c>tls/ca.crt</c>, <c>tls/ca.key</c>), the service-account signing key (<c>tls/service-account.key</c>) and the
/// node join token (<c>node-token</c>). They live in the datastore under <see cref="Key"/>, a key no resource maps to,
/// so the REST API never serves it.
/// </summary>
/// <remarks>
/// <para><see cref="SyncAsync"/> runs at every start, before the PKI is loaded. On a datastore without the key, the
/// server's own files are used (created first when missing) and stored with create-if-absent: of two servers starting
/// at once on an empty datastore, one wins and the other takes the winner's secrets. On a datastore with the key,
/// the stored secrets are written into the data directory; a local file that differs is replaced (the datastore
/// wins) with a warning. Certificates issued by a replaced CA are re-issued by <see cref="ClusterPki"/>.</para>
/// <para>The secrets are stored in clear: whoever reads the datastore holds the cluster CA. (k3s encrypts them with
/// the server token; kubesharp does not yet.)</para>
/// </remarks>
public static partial class ClusterBootstrap
{
    /// <summary>The datastore key of the bootstrap data (under the registry root, outside every resource's prefix).</summary>
    public const string Key = "/registry/kubesharp/bootstrap";

    /// <summary>The files carried, as paths relative to the data directory.</summary>
    public static readonly IReadOnlyList<string> Files = ["tls/ca.crt", "tls/ca.key", "tls/" + ServiceAccountKeys.FileName, "node-token"];

    /// <summary>What <see cref="SyncAsync"/> did.</summary>
    public enum Outcome
    {
        /// <summary>The datastore had no bootstrap data: this server's files were stored.</summary>
        Stored,

        /// <summary>The datastore's bootstrap data was written into the data directory (or was there already).</summary>
        Loaded,
    }

    /// <summary>
    /// Makes the data directory's shared secrets those of the datastore, storing this server's when the datastore
    /// has none (see the type's remarks). Throws <see cref="StoreException"/> when the datastore fails, and
    /// <see cref="InvalidDataException"/> when the stored value is not bootstrap data.
    /// </summary>
    public static async Task<Outcome> SyncAsync(IStore store, string dataDir, ILogger logger, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        var stored = await store.GetAsync(Key, 0, cancellationToken);
        if (stored is null)
        {
            EnsureLocal(dataDir, time ?? TimeProvider.System);
            var result = await store.CreateAsync(Key, Serialize(dataDir), null, cancellationToken);
            if (result.Succeeded)
            {
                Log.Stored(logger, Key);
                return Outcome.Stored;
            }

            // Another server stored its secrets first: take them.
            stored = result.Current ?? await store.GetAsync(Key, 0, cancellationToken)
                ?? throw new InvalidOperationException($"{Key} was reported live and then not found");
        }

        Apply(Parse(stored.Value), dataDir, logger);
        return Outcome.Loaded;
    }

    /// <summary>Creates whichever of the shared secrets the data directory lacks: the CA, the service-account key, a node token.</summary>
    private static void EnsureLocal(string dataDir, TimeProvider time)
    {
        ClusterPki.LoadOrCreateCa(dataDir, time).Dispose();
        ServiceAccountKeys.LoadOrCreate(dataDir).Dispose();
        var tokenPath = Path.Combine(dataDir, "node-token");
        if (!File.Exists(tokenPath) || !BootstrapTokens.TryParse(File.ReadAllText(tokenPath).Trim(), out _, out _))
        {
            WriteSecretFile(tokenPath, BootstrapTokens.Generate() + "\n");
        }
    }

    private static byte[] Serialize(string dataDir)
    {
        var files = new JsonObject();
        foreach (var name in Files)
        {
            files[name] = File.ReadAllText(Path.Combine(dataDir, name));
        }

        return JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["version"] = 1, ["files"] = files });
    }

    private static Dictionary<string, string> Parse(byte[] value)
    {
        var files = (JsonNode.Parse(value) as JsonObject)?["files"] as JsonObject
            ?? throw new InvalidDataException($"{Key} holds no \"files\" object");
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in Files)
        {
            result[name] = files[name]?.GetValue<string>() ?? throw new InvalidDataException($"{Key} lacks {name}");
        }

        return result;
    }

    private static void Apply(Dictionary<string, string> files, string dataDir, ILogger logger)
    {
        foreach (var (name, content) in files)
        {
            var path = Path.Combine(dataDir, name);
            if (File.Exists(path))
            {
                if (File.ReadAllText(path) == content)
                {
                    continue;
                }

                Log.Replaced(logger, path, Key);
            }

            WriteSecretFile(path, content);
        }
    }

    /// <summary>Writes atomically, readable by the owner only.</summary>
    private static void WriteSecretFile(string path, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, content);
        File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(tmp, path, overwrite: true);
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "stored this server's CA, service-account key and node token in the datastore ({Key}): servers that join this datastore share them")]
        public static partial void Stored(ILogger logger, string key);

        [LoggerMessage(Level = LogLevel.Warning, Message = "{Path} differs from the cluster's bootstrap data in the datastore ({Key}): replaced by the datastore's")]
        public static partial void Replaced(ILogger logger, string path, string key);
    }
}
