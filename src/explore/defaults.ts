/** `soundvae explore`'s defaults, without tfjs (its --help shows them): the report's map size, 8 sliders, loopback:8080. */
export const DEFAULT_EXPLORE = { mapItems: 1500, umap: true, components: 8, port: 8080, host: '127.0.0.1', batch: 64 };
