using System.Text;
using CliWrap;
using StreamFx.Bridge.Tests.Support;
using StreamFx.Host;

namespace StreamFx.Bridge.Tests;

/// <summary>
/// The C shim code (sfx-bridge-peer --listen-only, STREAMFX_BRIDGE_PEER) drives the C# host logic
/// in this process: the C side owns the region and socket, the C# side only connects.
/// </summary>
public sealed class CrossLanguageTests(ModelFolders models) : IClassFixture<ModelFolders>
{
    private const string PeerVariable = "STREAMFX_BRIDGE_PEER";

    [RequiresEnvironmentFact(PeerVariable)]
    public async Task CPeerDrivesTheCSharpHostAcrossTheSequenceWrap()
    {
        const int frames = 12;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var names = new TaskCompletionSource<(string Shm, string Control)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var stdout = new List<string>();
        var stderr = new StringBuilder();
        string? shm = null, control = null;

        void OnLine(string line)
        {
            lock (stdout)
            {
                stdout.Add(line);
                if (line.StartsWith("SHM=", StringComparison.Ordinal))
                {
                    shm = line["SHM=".Length..];
                }
                else if (line.StartsWith("CONTROL=", StringComparison.Ordinal))
                {
                    control = line["CONTROL=".Length..];
                }

                if (shm is not null && control is not null)
                {
                    names.TrySetResult((shm, control));
                }
            }
        }

        string settings = ModelFolders.ConfigureJson(models.Invert);
        CommandTask<CommandResult> peer = Cli.Wrap(RequiresEnvironmentFactAttribute.PathFrom(PeerVariable))
            .WithArguments([
                "--listen-only", "--peer-pid", "0", "--frames", frames.ToString(), "--width", "48", "--height", "32",
                "--first-sequence", "0xFFFFFFFA", "--expect", "invert", "--configure", settings,
                // The host loads models in the background and passes frames through meanwhile: check once it is ready.
                "--wait-ready",
            ])
            .WithStandardOutputPipe(PipeTarget.ToDelegate(OnLine))
            .WithStandardErrorPipe(PipeTarget.ToStringBuilder(stderr))
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync(timeout.Token);

        Task finished = await Task.WhenAny(names.Task, peer.Task);
        Assert.True(finished == names.Task, $"the peer exited before printing SHM= and CONTROL=: {stderr}");
        (string shmName, string controlAddress) = await names.Task;

        var hostLog = new StringWriter();
        int hostExit = await HostRunner.RunAsync(shmName, controlAddress, TextWriter.Synchronized(hostLog), timeout.Token);

        CommandResult result = await peer;
        string summary;
        lock (stdout)
        {
            summary = stdout.LastOrDefault(l => l.StartsWith("frames_sent=", StringComparison.Ordinal)) ?? "(no summary line)";
        }

        Assert.True(result.ExitCode == 0, $"peer exit {result.ExitCode}: {summary}\n{stderr}\nhost: {hostLog}");
        Assert.StartsWith($"frames_sent={frames} frames_checked={frames} mismatches=0 max_abs_err=0 sequence_errors=0 wrapped=1 restarts=0 ", summary);
        Assert.Contains("\"model\":\"invert\"", summary);
        Assert.Equal(HostExitCode.Ok, hostExit);
    }
}
