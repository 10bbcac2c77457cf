using StreamFx.Bridge.Tests.Support;
using StreamFx.Host;

namespace StreamFx.Bridge.Tests;

/// <summary>
/// The per-frame path (wake-up, take, ONNX effect, publish, FRAME_DONE) must not allocate once
/// warmed up. Measured over the whole process, so the shim side here is written allocation-free too;
/// the budget leaves room only for the once-a-second STATUS strings.
/// </summary>
[Collection(nameof(SteadyStateAllocationTests))] // not in parallel with other classes: the counter is process-wide
[CollectionDefinition(nameof(SteadyStateAllocationTests), DisableParallelization = true)]
public sealed class SteadyStateAllocationTests(ModelFolders models) : IClassFixture<ModelFolders>
{
    [OptimizedBuildFact]
    public async Task SteadyStreamOfFramesAllocatesAlmostNothing()
    {
        const uint w = 64, h = 48, rowBytes = w * 4;
        await using ShimSession shim = ShimSession.Create(w, h);
        Task<int> host = Task.Run(() => HostRunner.RunAsync(shim.Region.Name, shim.Control.SocketPath, TextWriter.Null, CancellationToken.None));
        ControlChannel channel = await shim.AcceptAsync();
        await shim.SendAsync(ControlMessage.Configure(ModelFolders.ConfigureJson(models.Invert)));
        await shim.ReadStatusAsync("ready");

        uint sequence = 0;
        async Task RunFrames(int count)
        {
            for (int i = 0; i < count; i++)
            {
                sequence++;
                shim.Region.Input.BackPixels[..(int)(rowBytes * h)].Fill((byte)sequence);
                shim.Region.Input.Publish(new SlotHeader(sequence, sequence, w, h, rowBytes, PixelFormat.Rgba8, 0, 0));
                await channel.SendAsync(ControlMessage.FrameReady(sequence), CancellationToken.None);
                while (await channel.ReadAsync(CancellationToken.None) is { } message && message.Type != MessageType.FrameDone)
                {
                }

                if (shim.Region.Output.TryTake(out FrameSlot output) != TakeResult.Taken || output.Pixels[0] != (byte)(255 - (byte)sequence))
                {
                    throw new InvalidOperationException($"frame {sequence} was not processed");
                }
            }
        }

        // The shim loop runs on the thread pool: xunit's synchronization context would allocate per await.
        await Task.Run(() => RunFrames(1000)); // warm-up: JIT, pools, tensors bound for this size

        // The counter is process-wide, and the test host allocates now and then on its own threads;
        // a per-frame allocation shows in every window, a one-off burst in one only: take the smallest.
        const int frames = 1000;
        var windows = new List<long>();
        for (int window = 0; window < 5; window++)
        {
            windows.Add(await Task.Run(async () =>
            {
                long before = GC.GetTotalAllocatedBytes(precise: true);
                await RunFrames(frames);
                return (GC.GetTotalAllocatedBytes(precise: true) - before) / frames;
            }));
        }

        long perFrame = windows.Min();
        await shim.SendAsync(ControlMessage.Shutdown());
        Assert.Equal(HostExitCode.Ok, await host.WaitAsync(ShimSession.Timeout));
        Assert.True(perFrame < 64, $"{perFrame} bytes allocated per frame in steady state (host and test shim together; windows: {string.Join(", ", windows)})");
    }
}
