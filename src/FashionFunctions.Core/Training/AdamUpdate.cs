using System.Numerics;
using System.Runtime.InteropServices;

namespace FashionFunctions.Core.Training;

/// <summary>torch.optim.Adam's update for one step t (no weight decay, no AMSGrad), over any range of flat buffers:
/// m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε).</summary>
/// <remarks>
/// Moments below <see cref="Tiny"/> are flushed to zero. Inputs that are always 0 (the images' borders) give W1
/// columns whose gradient is always 0, so their moments decay geometrically into denormal floats, on which x86
/// arithmetic is very slow. A moment that small moves its parameter by less than 1e-26, far below a float's
/// resolution of the parameter, so flushing it changes no result.
/// </remarks>
internal readonly record struct AdamUpdate(float Beta1, float OneMinusBeta1, float Beta2, float OneMinusBeta2, float StepSize, float InverseSqrtCorrection2, float Epsilon)
{
    private const float Tiny = 1e-30f;

    /// <summary>The update of Adam's step <paramref name="step"/> (t, from 1). Like torch, 1−β and the bias
    /// corrections are computed in double before rounding to float: 1 − 0.999f is 1.3e-5 away from 0.001f.</summary>
    public static AdamUpdate ForStep(TrainingOptions options, long step) => new(
        (float)options.Beta1,
        (float)(1 - options.Beta1),
        (float)options.Beta2,
        (float)(1 - options.Beta2),
        (float)(options.LearningRate / (1 - Math.Pow(options.Beta1, step))),
        (float)(1 / Math.Sqrt(1 - Math.Pow(options.Beta2, step))),
        (float)options.Epsilon);

    /// <summary>Updates <paramref name="length"/> parameters from <paramref name="offset"/>, with the moments and
    /// gradients at the same offset of their own buffers.</summary>
    public void Update(Span<float> parameters, Span<float> firstMoment, Span<float> secondMoment, int offset, ReadOnlySpan<float> gradients, int length)
    {
        var p = parameters.Slice(offset, length);
        var m = firstMoment.Slice(offset, length);
        var v = secondMoment.Slice(offset, length);
        var gradient = gradients.Slice(offset, length);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vBeta1 = new Vector<float>(Beta1);
            var vOneMinusBeta1 = new Vector<float>(OneMinusBeta1);
            var vBeta2 = new Vector<float>(Beta2);
            var vOneMinusBeta2 = new Vector<float>(OneMinusBeta2);
            var vStep = new Vector<float>(StepSize);
            var vCorrection = new Vector<float>(InverseSqrtCorrection2);
            var vEpsilon = new Vector<float>(Epsilon);
            var vTiny = new Vector<float>(Tiny);
            var pv = MemoryMarshal.Cast<float, Vector<float>>(p);
            var gv = MemoryMarshal.Cast<float, Vector<float>>(gradient);
            var mv = MemoryMarshal.Cast<float, Vector<float>>(m);
            var vv = MemoryMarshal.Cast<float, Vector<float>>(v);
            for (int k = 0; k < pv.Length; k++)
            {
                var g = gv[k];
                var newM = vBeta1 * mv[k] + vOneMinusBeta1 * g;
                var newV = vBeta2 * vv[k] + vOneMinusBeta2 * g * g;
                newM = Vector.ConditionalSelect(Vector.GreaterThanOrEqual(Vector.Abs(newM), vTiny), newM, Vector<float>.Zero);
                newV = Vector.ConditionalSelect(Vector.GreaterThanOrEqual(newV, vTiny), newV, Vector<float>.Zero);
                mv[k] = newM;
                vv[k] = newV;
                pv[k] -= vStep * newM / (Vector.SquareRoot(newV) * vCorrection + vEpsilon);
            }

            i = pv.Length * Vector<float>.Count;
        }

        for (; i < p.Length; i++)
        {
            m[i] = Beta1 * m[i] + OneMinusBeta1 * gradient[i];
            v[i] = Beta2 * v[i] + OneMinusBeta2 * gradient[i] * gradient[i];
            m[i] = MathF.Abs(m[i]) >= Tiny ? m[i] : 0;
            v[i] = v[i] >= Tiny ? v[i] : 0;
            p[i] -= StepSize * m[i] / (MathF.Sqrt(v[i]) * InverseSqrtCorrection2 + Epsilon);
        }
    }
}
