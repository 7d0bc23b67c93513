using System.CommandLine;
using System.Runtime.InteropServices;
using Kubesharp.Storage;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Commands;

/// <summary>
/// <c>kubesharp server</c>. Until the API server lands (issue 3) it opens the datastore, reports its
/// state, and holds it until SIGTERM or Ctrl-C: the storage-only server.
/// </summary>
internal static class ServerCommand
{
    public static Command Create()
    {
        var dataDir = new Option<string>("--data-dir")
        {
            Description = "Directory for the cluster's state (default /var/lib/kubesharp as root, else ~/.kubesharp).",
            DefaultValueFactory = _ => DefaultDataDir(),
        };
        var datastore = new Option<string>("--datastore")
        {
            Description = "sqlite (default, <data-dir>/db/state.db), memory, or etcd://HOST:PORT[,HOST:PORT...].",
            DefaultValueFactory = _ => "sqlite",
        };
        var command = new Command("server", "Run the control plane (for now: the storage-only server).")
        {
            dataDir,
            datastore,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(dataDir)!, parse.GetValue(datastore)!, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string dataDir, string datastore, CancellationToken cancellationToken)
    {
        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true));
        var logger = loggerFactory.CreateLogger("kubesharp-server");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });

        StoreOptions options;
        try
        {
            options = StoreOptions.Parse(datastore, dataDir);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return 2;
        }

        IStore store;
        try
        {
            store = await StoreFactory.OpenAsync(options, loggerFactory, cancellationToken: stop.Token);
        }
        catch (StoreException e)
        {
            await Console.Error.WriteLineAsync($"error: cannot open the {options.Kind} datastore: {e.Message}");
            return 1;
        }

        await using (store)
        {
            var revision = await store.GetCurrentRevisionAsync(stop.Token);
            var keys = await store.CountAsync(StoreLimits.RegistryRoot, stop.Token);
            var where = options.Describe();
            ServerLog.Ready(logger, store.Name, where, revision, keys);
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token);
            }
            catch (OperationCanceledException)
            {
                ServerLog.Stopping(logger);
            }
        }

        return 0;
    }

    private static string DefaultDataDir() =>
        Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root"
            ? "/var/lib/kubesharp"
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kubesharp");
}

internal static partial class ServerLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "storage-only server ready: datastore {Backend} ({Where}), revision {Revision}, {Keys} keys; the API server comes with issue 3")]
    public static partial void Ready(ILogger logger, string backend, string where, long revision, long keys);

    [LoggerMessage(Level = LogLevel.Information, Message = "stopping: closing the datastore")]
    public static partial void Stopping(ILogger logger);
}
