/** `soundvae explore`: play a checkpoint's latent space in the browser, served from this machine. */
import type { Argv, CommandModule } from 'yargs';
import { DEFAULT_EXPLORE } from '../../explore/defaults.ts';
import { checkCount } from './generate.ts';

interface ExploreArgs {
  checkpoint: string;
  data?: string;
  port: number;
  host: string;
  mapItems: number;
  components: number;
  umap: boolean;
  backend?: string;
}

const HELP = `Serves a page on this machine (loopback only unless --host says otherwise) and prints its
address; it opens no browser. The page shows a map of the dataset's latent means (PCA and UMAP,
coloured by label). Click a dot to hear that item (its clip, re-read from its source file). Click
or drag anywhere else and the point goes back into the latent space (exactly on the PCA map, as a
blend of the nearest items' codes on UMAP), is decoded by the checkpoint's decoder and turned into
audio by soundvae's Griffin-Lim, both running in the page (tfjs in a worker, wasm backend by
default: add ?backend=webgl or ?backend=cpu to the address to choose), and plays at once with its
spectrogram drawn. Sliders move the code along the first principal directions; Sample draws from
a label's density (the checkpoint's sampler.json, at the chosen temperature); A and B set the ends
of a morph; Download saves what you hear as WAV. The same code gives the same audio as soundvae
generate. Works offline: tfjs comes from node_modules. The dataset is the one the checkpoint was
trained on unless --data names another made with the same settings. Ctrl-C stops the server.`;

export const exploreCommand: CommandModule<object, ExploreArgs> = {
  command: 'explore',
  describe: 'Play the latent space in the browser: click a map of the dataset, hear the decoded point at once',
  builder: (y) =>
    y
      .usage(`$0 explore --checkpoint RUN [--data DATASET] [--port ${DEFAULT_EXPLORE.port}]\n\n${HELP}`)
      .option('checkpoint', { type: 'string', demandOption: true, describe: 'Checkpoint or run folder (a run folder means its best/)' })
      .option('data', { type: 'string', describe: 'Dataset folder to map (default: the one the checkpoint was trained on)' })
      .option('port', { type: 'number', default: DEFAULT_EXPLORE.port, describe: 'Port to listen on (0: any free port)' })
      .option('host', {
        type: 'string',
        default: DEFAULT_EXPLORE.host,
        describe: 'Address to listen on; anything but loopback shows the model to your network',
      })
      .option('map-items', { type: 'number', default: DEFAULT_EXPLORE.mapItems, describe: 'Dataset items on the map (spread evenly)' })
      .option('components', { type: 'number', default: DEFAULT_EXPLORE.components, describe: 'Principal directions with a slider' })
      .option('umap', { type: 'boolean', default: DEFAULT_EXPLORE.umap, describe: 'Also map with UMAP (--no-umap: PCA only, faster start)' })
      .example('$0 explore --checkpoint checkpoints/digits --data data/fsdd', 'Then open http://127.0.0.1:8080/')
      .example('$0 explore --checkpoint runs/drums --port 0', 'Any free port; the address is printed') as unknown as Argv<ExploreArgs>,
  handler: async (args) => {
    checkCount('port', args.port, 0, 65535);
    checkCount('map-items', args.mapItems, 1);
    checkCount('components', args.components, 2, 64);
    // tfjs and the server load here, not for --help
    const [{ prepareExplore }, { startExplorer }] = await Promise.all([import('../../explore/explore-data.ts'), import('../../explore/server.ts')]);
    const session = await prepareExplore({
      checkpoint: args.checkpoint,
      data: args.data,
      mapItems: args.mapItems,
      components: args.components,
      umap: args.umap,
      backend: args.backend,
      progress: process.stderr,
    });
    let server: Awaited<ReturnType<typeof startExplorer>>;
    try {
      server = await startExplorer(session, { port: args.port, host: args.host });
    } catch (err) {
      await session.close();
      throw err;
    }
    console.log(`soundvae explore: ${session.data.items.length} items mapped; open ${server.url} (Ctrl-C stops)`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await server.close();
    await session.close();
  },
};
