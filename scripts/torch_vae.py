"""PyTorch twin of any soundvae VaeConfig, for training-speed comparisons on the same machine.

    /usr/bin/python3 scripts/torch_vae.py CONFIG_JSON BATCH STEPS [THREADS] [HEIGHT WIDTH]

CONFIG_JSON is a soundvae VaeConfig (what `npm run bench -- train --torch` passes): filters, kernels, strides,
latent, bottleneck ('dense' or 'time'), reconstructionLoss ('mse' or 'l1'), spectralWeight, reconstructionWeight,
learningRate. The layers mirror src/model/vae.ts: Conv2D(same) -> ReLU -> BatchNorm blocks, a dense or a
per-time-step bottleneck, mirrored transposed convolutions, sigmoid; the loss mirrors vaeLoss. Trains on random
inputs and prints samples/s as JSON. A measuring stick, not part of the product (needs python3-torch).
"""
import json
import math
import sys
import time

import torch
import torch.nn as nn

LOG_MAGNITUDE_PER_UNIT = 80 / 20 * math.log(10)  # [0, 1] spans 80 dB, as in src/model/vae.ts


def same_padding(kernel, stride):
    # TensorFlow's 'same' for odd kernels and strides that divide the size: pad (k - 1) / 2.
    return (kernel - 1) // 2


class Vae(nn.Module):
    def __init__(self, cfg, height, width):
        super().__init__()
        self.cfg = cfg
        enc, c, h, w = [], 1, height, width
        for f, k, s in zip(cfg['filters'], cfg['kernels'], cfg['strides']):
            enc += [nn.Conv2d(c, f, k, tuple(s), padding=same_padding(k, s)), nn.ReLU(), nn.BatchNorm2d(f)]
            c, h, w = f, h // s[0], w // s[1]
        self.enc = nn.Sequential(*enc)
        self.grid = (c, h, w)
        latent = cfg['latent']
        self.time = cfg.get('bottleneck') == 'time'
        if self.time:
            self.mu = nn.Conv2d(c, latent, (h, 1))
            self.lv = nn.Conv2d(c, latent, (h, 1))
            self.fc = nn.ConvTranspose2d(latent, c, (h, 1))
        else:
            self.mu = nn.Linear(c * h * w, latent)
            self.lv = nn.Linear(c * h * w, latent)
            self.fc = nn.Linear(latent, c * h * w)
        dec, n = [], len(cfg['filters'])
        for i in range(n - 1, 0, -1):
            k, s, f = cfg['kernels'][i], cfg['strides'][i], cfg['filters'][i]
            dec += [nn.ConvTranspose2d(c, f, k, tuple(s), padding=same_padding(k, s), output_padding=(s[0] - 1, s[1] - 1)), nn.ReLU(), nn.BatchNorm2d(f)]
            c = f
        k, s = cfg['kernels'][0], cfg['strides'][0]
        dec += [nn.ConvTranspose2d(c, 1, k, tuple(s), padding=same_padding(k, s), output_padding=(s[0] - 1, s[1] - 1)), nn.Sigmoid()]
        self.dec = nn.Sequential(*dec)

    def decode(self, z):
        c, h, w = self.grid
        if self.time:
            return self.dec(self.fc(z.view(-1, w, self.cfg['latent']).permute(0, 2, 1).unsqueeze(2)))
        return self.dec(self.fc(z).view(-1, c, h, w))

    def forward(self, x):
        hdn = self.enc(x)
        if self.time:
            mu = self.mu(hdn).squeeze(2).permute(0, 2, 1).flatten(1)  # time-major, as soundvae flattens
            lv = self.lv(hdn).squeeze(2).permute(0, 2, 1).flatten(1)
        else:
            mu, lv = self.mu(hdn.flatten(1)), self.lv(hdn.flatten(1))
        z = mu + torch.exp(0.5 * lv) * torch.randn_like(mu)
        return self.decode(z), mu, lv


def spectral_convergence(x, r):
    m = torch.exp((x - 1) * LOG_MAGNITUDE_PER_UNIT).flatten(1)
    m_hat = torch.exp((r - 1) * LOG_MAGNITUDE_PER_UNIT).flatten(1)
    return (torch.sqrt(((m_hat - m) ** 2).sum(1) + 1e-12) / torch.sqrt((m ** 2).sum(1) + 1e-12)).mean()


def loss_fn(cfg, x, r, mu, lv):
    raw = (x - r).abs() if cfg.get('reconstructionLoss') == 'l1' else (x - r) ** 2
    recon = raw.mean()
    if cfg.get('spectralWeight', 0) > 0:
        recon = recon + cfg['spectralWeight'] * spectral_convergence(x, r)
    kl = (-0.5 * torch.sum(1 + lv - mu ** 2 - torch.exp(lv), dim=1)).mean()
    return cfg['reconstructionWeight'] * recon + cfg.get('klWeight', 1) * kl


def main():
    cfg = json.loads(sys.argv[1])
    batch, steps = int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(int(sys.argv[4]) if len(sys.argv) > 4 else 2)
    height, width = (int(sys.argv[5]), int(sys.argv[6])) if len(sys.argv) > 6 else (256, 64)
    torch.manual_seed(0)
    model = Vae(cfg, height, width)
    opt = torch.optim.Adam(model.parameters(), lr=cfg['learningRate'])
    model.train()
    x = torch.rand(batch, 1, height, width)

    def step():
        opt.zero_grad(set_to_none=True)
        r, mu, lv = model(x)
        loss = loss_fn(cfg, x, r, mu, lv)
        loss.backward()
        opt.step()
        return loss.item()

    for i in range(2):
        t = time.time()
        step()
        print(f'  warm-up {i}: {time.time() - t:.2f} s', file=sys.stderr)
    t0 = time.time()
    loss = float('nan')
    for _ in range(steps):
        loss = step()
    dt = time.time() - t0
    print(json.dumps(dict(backend=f'torch {torch.__version__} threads={torch.get_num_threads()}', batch=batch, steps=steps,
                          sec_per_step=dt / steps, samples_per_s=batch * steps / dt, loss=loss)))


if __name__ == '__main__':
    main()
