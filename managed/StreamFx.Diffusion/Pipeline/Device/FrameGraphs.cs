using Microsoft.ML.OnnxRuntime.Tensors;
using StreamFx.Diffusion.Imaging;
using StreamFx.Diffusion.Model;
using StreamFx.Onnx;

namespace StreamFx.Diffusion.Pipeline.Device;

/// <summary>
/// Pre- and post-processing as ONNX graphs, so the frame is the only thing that crosses the bus: uint8
/// pixels (frame size = processing size, the shim scales on the GPU first) to the autoencoder's planar
/// image and back. Each computes the same float operations in the same order as
/// <see cref="FrameResampler"/>'s identity path (<see cref="ChannelPlanes"/>), so results are equal.
/// </summary>
public static class FrameGraphs
{
    // The ranges of FrameResampler.ToRange / FromRange: pre v -> (v + add) * mul, post t -> (t + add) * mul.
    private static (float Add, float Mul) ToRange(ImageRange range) => range == ImageRange.ZeroToOne ? (0f, 1f / 255f) : (-127.5f, 1f / 127.5f);

    private static (float Add, float Mul) FromRange(ImageRange range) => range == ImageRange.ZeroToOne ? (0f, 255f) : (1f, 127.5f);

    /// <summary>
    /// frame uint8 [1,R,R,4] and previous float [1,3,R,R] to image (imageType) and image_f32 [1,3,R,R]
    /// (planes R, G, B in the range) and similarity float [1] (cosine of image_f32 and previous; 0 when
    /// either is all zero, as SimilaritySkipFilter treats NaN).
    /// </summary>
    public static byte[] Pre(int resolution, PixelLayout layout, ImageRange range, TensorElementType imageType)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(resolution, 1);
        OnnxElementType image = GraphOps.FloatingType(imageType, "the pre-processing image type");
        long r = resolution;
        var o = new GraphOps(new OnnxGraphBuilder("streamfx_pre"));
        o.Graph.AddInput(GraphNames.Frame, OnnxElementType.UInt8, 1, r, r, 4);
        o.Graph.AddInput(GraphNames.Previous, OnnxElementType.Float, 1, 3, r, r);

        // Everything after the boundary cast is float32 (uint8 tensors inside a graph are not on every provider's list).
        string pixels = o.Cast(GraphNames.Frame, OnnxElementType.Float);
        // Planes R, G, B by byte position: bytes 0, 1, 2 in RGBA, 2, 1, 0 in BGRA.
        string rgb = layout == PixelLayout.Bgra ? o.Gather(pixels, 3, [2, 1, 0]) : o.Slice(pixels, 3, 0, 3);
        var (add, mul) = ToRange(range);
        string scaled = o.Mul(o.Add(rgb, o.Float(add)), o.Float(mul));
        string f32 = o.Transpose(scaled, [0, 3, 1, 2], GraphNames.ImageF32);
        o.CastFromFloat(f32, image, GraphNames.Image);

        // TensorPrimitives.CosineSimilarity: dot / (sqrt(|a|^2) * sqrt(|b|^2)); 0/0 is NaN, which the filter reads as 0.
        long[] all = [1, 2, 3];
        string dot = o.ReduceSum(o.Mul(GraphNames.Previous, f32), all);
        string aa = o.ReduceSum(o.Mul(GraphNames.Previous, GraphNames.Previous), all);
        string bb = o.ReduceSum(o.Mul(f32, f32), all);
        string cosine = o.Div(dot, o.Mul(o.Sqrt(aa), o.Sqrt(bb)));
        // NaN is the one value not equal to itself.
        o.Where(o.Equal(cosine, cosine), cosine, o.Float(0f), GraphNames.Similarity);

        o.Graph.AddOutput(GraphNames.Image, image, 1, 3, r, r);
        o.Graph.AddOutput(GraphNames.ImageF32, OnnxElementType.Float, 1, 3, r, r);
        o.Graph.AddOutput(GraphNames.Similarity, OnnxElementType.Float, 1);
        return o.ToBytes();
    }

    /// <summary>
    /// image (imageType) [1,3,R,R] (the decoder's output) and frame uint8 [1,R,R,4] (the input frame) to
    /// frame_out uint8 [1,R,R,4]: colour byte = truncate(clamp((c + add) * mul, 0, 255) + 0.5) with NaN
    /// to 0, as ChannelPlanes.Merge rounds; alpha from the input frame.
    /// </summary>
    public static byte[] Post(int resolution, PixelLayout layout, ImageRange range, TensorElementType imageType)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(resolution, 1);
        OnnxElementType image = GraphOps.FloatingType(imageType, "the post-processing image type");
        long r = resolution;
        var o = new GraphOps(new OnnxGraphBuilder("streamfx_post"));
        o.Graph.AddInput(GraphNames.Image, image, 1, 3, r, r);
        o.Graph.AddInput(GraphNames.Frame, OnnxElementType.UInt8, 1, r, r, 4);

        string planes = o.Transpose(o.ToFloat(GraphNames.Image, image), [0, 2, 3, 1]);
        // Byte k of the pixel: plane k in RGBA, plane 2 - k in BGRA.
        string channels = layout == PixelLayout.Bgra ? o.Gather(planes, 3, [2, 1, 0]) : planes;
        var (add, mul) = FromRange(range);
        string s = o.Mul(o.Add(channels, o.Float(add)), o.Float(mul));
        // Compare-and-select as the scalar rule does (s > 0 ? s : 0, then s < 255 ? s : 255), so NaN becomes 0;
        // Clip/Max would pass NaN on and make the uint8 cast undefined.
        s = o.Where(o.Greater(s, o.Float(0f)), s, o.Float(0f));
        s = o.Where(o.Less(s, o.Float(255f)), s, o.Float(255f));
        // Floor equals truncation on 0.5..255.5 and does not depend on how a provider's cast rounds.
        string rounded = o.Floor(o.Add(s, o.Float(0.5f)));
        string alpha = o.Slice(o.Cast(GraphNames.Frame, OnnxElementType.Float), 3, 3, 4);
        o.Cast(o.Concat(3, [rounded, alpha]), OnnxElementType.UInt8, GraphNames.FrameOut);

        o.Graph.AddOutput(GraphNames.FrameOut, OnnxElementType.UInt8, 1, r, r, 4);
        return o.ToBytes();
    }
}
