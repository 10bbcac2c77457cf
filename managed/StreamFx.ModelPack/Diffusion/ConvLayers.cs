using StreamFx.Onnx;

namespace StreamFx.ModelPack.Diffusion;

/// <summary>Convolution building blocks with seeded random weights, on top of <see cref="GraphWeights"/>.</summary>
public sealed class ConvLayers
{
    private readonly GraphWeights _weights;
    private readonly SeededRandom _random;

    public ConvLayers(GraphWeights weights, SeededRandom random)
    {
        _weights = weights;
        _random = random;
    }

    private OnnxGraphBuilder Graph => _weights.Graph;

    /// <summary>k x k convolution, "same" padding, He-style init scaled by <paramref name="gain"/>.</summary>
    public string Conv(string x, int inChannels, int outChannels, int kernel = 3, int stride = 1, bool bias = true, double gain = 1.0)
    {
        int fanIn = inChannels * kernel * kernel;
        double std = gain * Math.Sqrt(2.0 / fanIn);
        string prefix = Graph.UniqueName("conv");
        string w = _weights.Weight(prefix + ".weight", _random.Gaussian(outChannels * fanIn, std), outChannels, inChannels, kernel, kernel);
        var inputs = new List<string> { x, w };
        if (bias)
        {
            inputs.Add(_weights.Weight(prefix + ".bias", _random.Gaussian(outChannels, 0.01), outChannels));
        }

        int pad = kernel / 2;
        return Graph.Op(
            "Conv",
            [.. inputs],
            OnnxAttribute.Ints("kernel_shape", kernel, kernel),
            OnnxAttribute.Ints("pads", pad, pad, pad, pad),
            OnnxAttribute.Ints("strides", stride, stride));
    }

    /// <summary>Convolution with given weights [out, in, k, k] and optional bias.</summary>
    public string Conv(string x, float[] weight, float[]? bias, int outChannels, int inChannels, int kernel, int group = 1)
    {
        string prefix = Graph.UniqueName("conv");
        string w = _weights.Weight(prefix + ".weight", weight, outChannels, inChannels / group, kernel, kernel);
        string[] inputs = bias is null ? [x, w] : [x, w, _weights.Weight(prefix + ".bias", bias, outChannels)];
        int pad = kernel / 2;
        return Graph.Op(
            "Conv",
            inputs,
            OnnxAttribute.Ints("kernel_shape", kernel, kernel),
            OnnxAttribute.Ints("pads", pad, pad, pad, pad),
            OnnxAttribute.Int("group", group));
    }

    public string Relu(string x) => Graph.Op("Relu", [x]);

    /// <summary>TAESD residual block: ReLU(conv(ReLU(conv(ReLU(conv(x))))) + x), 64 -> 64 channels.</summary>
    public string TaesdBlock(string x, int channels)
    {
        // Gain below 1 keeps random activations bounded through dozens of stacked residual blocks.
        string h = Relu(Conv(x, channels, channels, gain: 0.5));
        h = Relu(Conv(h, channels, channels, gain: 0.5));
        h = Conv(h, channels, channels, gain: 0.5);
        return Relu(Graph.Op("Add", [h, x]));
    }

    /// <summary>Nearest-neighbour upsampling by an integer factor (TAESD's nn.Upsample).</summary>
    public string UpsampleNearest(string x, int factor)
    {
        string scales = _weights.Constant(Graph.UniqueName("scales"), [1f, 1f, factor, factor], 4);
        return Graph.Op("Resize", [x, string.Empty, scales], OnnxAttribute.String("mode", "nearest"));
    }
}
