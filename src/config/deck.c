/* The input deck: one table of every key. The parser, the validator, the
 * effective-configuration printout and docs/deck-reference.md all read it. */
#include "latent/lt_config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum { K_INT, K_UINT, K_REAL, K_BOOL, K_STR, K_ENUM } key_kind;

typedef struct {
    const char *section, *key;
    key_kind kind;
    size_t off, size;
    const char *def;
    double lo, hi;       /* range for K_INT / K_REAL */
    const char *choices; /* "a|b|c" for K_ENUM */
    const char *doc;
} lt_key;

#define F(sec, fld) offsetof(lt_config, sec.fld), sizeof(((lt_config *)0)->sec.fld)
#define BIG 9.2e18
/* clang-format off */
static const lt_key keys[] = {
 {"data","source",K_ENUM,F(data,source),"blobs",0,0,"blobs|uniform|npy|csv|idx|hdf5|h5ad|10x|mtx|counts","where rows come from: a generator or a file format (h5ad, 10x, mtx and the counts generator: single-cell counts, see [singlecell])"},
 {"data","path",K_STR,F(data,path),"",0,0,NULL,"data file (npy, csv, idx images, hdf5, h5ad, 10x .h5) or Matrix Market directory (mtx); relative to the working directory"},
 {"data","labels_path",K_STR,F(data,labels_path),"",0,0,NULL,"labels file where labels live in their own file (npy int, idx labels)"},
 {"data","dataset",K_STR,F(data,dataset),"X",0,0,NULL,"HDF5: name of the 2-D data set"},
 {"data","labels_dataset",K_STR,F(data,labels_dataset),"",0,0,NULL,"HDF5: name of the 1-D labels data set (empty: none)"},
 {"data","n_samples",K_INT,F(data,n_samples),"1000",1,BIG,NULL,"generators: number of rows"},
 {"data","n_features",K_INT,F(data,n_features),"2",1,1e7,NULL,"generators: number of columns (before noise_features)"},
 {"data","centers",K_STR,F(data,centers),"3",0,0,NULL,"blobs: a count, or explicit centers 'x1,x2,...; y1,y2,...' (one per ';')"},
 {"data","cluster_std",K_STR,F(data,cluster_std),"1.0",0,0,NULL,"blobs: standard deviation, one value or one per center (comma list)"},
 {"data","center_box_lo",K_REAL,F(data,center_box_lo),"-10",-1e30,1e30,NULL,"blobs: lower bound of the box centers are drawn from"},
 {"data","center_box_hi",K_REAL,F(data,center_box_hi),"10",-1e30,1e30,NULL,"blobs: upper bound of the box centers are drawn from"},
 {"data","noise_features",K_INT,F(data,noise_features),"0",0,1e7,NULL,"blobs: extra uniform [0,1) columns appended (seed 000 adds 1)"},
 {"data","seed",K_UINT,F(data,seed),"0",0,0,NULL,"generators: random seed (same data for any rank count)"},
 {"data","csv_header",K_ENUM,F(data,csv_header),"auto",0,0,"auto|yes|no","CSV: first line is a header"},
 {"data","csv_label_column",K_INT,F(data,csv_label_column),"-1",-1,1e7,NULL,"CSV: 0-based column holding integer labels (-1: none)"},
 {"data","csv_separator",K_ENUM,F(data,csv_separator),"auto",0,0,"auto|comma|tab|semicolon|space","CSV: field separator"},
 {"data","allow_nonfinite",K_BOOL,F(data,allow_nonfinite),"false",0,0,NULL,"accept NaN/Inf in input files instead of failing"},
 {"data","test_path",K_STR,F(data,test_path),"",0,0,NULL,"separate test file in the same format and options as 'path' (e.g. MNIST's t10k file); then every row of 'path' trains and test_fraction is ignored"},
 {"data","test_labels_path",K_STR,F(data,test_labels_path),"",0,0,NULL,"labels of the test file where labels live in their own file (npy int, idx labels)"},
 /* single-cell sources (issue 18) */
 {"data","obs_key",K_STR,F(data,obs_key),"",0,0,NULL,"h5ad: obs column whose categories label the cells (empty: no labels)"},
 {"data","layer",K_STR,F(data,layer),"X",0,0,NULL,"h5ad: the count matrix: X, layers/NAME (or NAME) or raw/X"},
 {"data","genome",K_STR,F(data,genome),"",0,0,NULL,"10x Cell Ranger 1-2 .h5: genome group (empty: the file's only one)"},
 {"data","gene_names",K_ENUM,F(data,gene_names),"symbols",0,0,"symbols|ids","10x and mtx: gene names from the symbols or the ids column"},
 {"data","density",K_REAL,F(data,density),"0.05",1e-6,0.95,NULL,"counts generator: expected share of non-zero counts (n_samples cells, n_features genes, centers cell types)"},
 {"data","dispersion",K_REAL,F(data,dispersion),"4",1e-3,1e6,NULL,"counts generator: negative-binomial r (variance mu + mu^2/r)"},
 {"preprocess","scaler",K_ENUM,F(preprocess,scaler),"minmax",0,0,"none|minmax|standard","feature scaling fitted on the training rows"},
 {"preprocess","feature_min",K_REAL,F(preprocess,feature_min),"0",-1e30,1e30,NULL,"MinMax: lower end of feature_range"},
 {"preprocess","feature_max",K_REAL,F(preprocess,feature_max),"1",-1e30,1e30,NULL,"MinMax: upper end of feature_range"},
 {"preprocess","test_fraction",K_REAL,F(preprocess,test_fraction),"0.2",0,0.99,NULL,"share of rows held out as the test split (ceil(f*n) rows)"},
 {"preprocess","split_seed",K_UINT,F(preprocess,split_seed),"1",0,0,NULL,"seed of the train/test split"},
 /* scanpy's recipe for single-cell sources (issue 18, lt_scprep.h) */
 {"singlecell","min_genes",K_INT,F(singlecell,min_genes),"0",0,1e9,NULL,"filter_cells: keep cells with at least this many genes detected (0: off)"},
 {"singlecell","min_cells",K_INT,F(singlecell,min_cells),"0",0,1e12,NULL,"filter_genes: keep genes detected in at least this many cells (0: off)"},
 {"singlecell","normalize_total",K_BOOL,F(singlecell,normalize_total),"true",0,0,NULL,"scale every cell to the same total count"},
 {"singlecell","target_sum",K_REAL,F(singlecell,target_sum),"0",0,1e30,NULL,"normalize_total: total per cell; 0: the median of the cell totals (scanpy's default)"},
 {"singlecell","log1p",K_BOOL,F(singlecell,log1p),"true",0,0,NULL,"x -> log(1 + x) after normalising"},
 {"singlecell","hvg",K_ENUM,F(singlecell,hvg),"seurat",0,0,"none|seurat|seurat_v3","highly variable genes: scanpy's seurat flavour (log data) or seurat_v3 (counts); none keeps every gene"},
 {"singlecell","n_top_genes",K_INT,F(singlecell,n_top_genes),"2000",1,1e7,NULL,"highly variable genes kept (ties at the cut may add a few, as scanpy)"},
 {"singlecell","hvg_bins",K_INT,F(singlecell,hvg_bins),"20",1,1024,NULL,"seurat: number of mean bins"},
 {"singlecell","hvg_span",K_REAL,F(singlecell,hvg_span),"0.3",0.01,1,NULL,"seurat_v3: LOESS span"},
 {"singlecell","scale",K_BOOL,F(singlecell,scale),"true",0,0,NULL,"scale each kept gene to unit variance (ddof 1)"},
 {"singlecell","zero_center",K_BOOL,F(singlecell,zero_center),"true",0,0,NULL,"scale: subtract each gene's mean"},
 {"singlecell","max_value",K_REAL,F(singlecell,max_value),"10",0,1e30,NULL,"scale: clip to [-max_value, max_value] (0: no clipping)"},
 {"pca","enabled",K_BOOL,F(pca,enabled),"true",0,0,NULL,"run the PCA stage"},
 {"pca","n_components",K_INT,F(pca,n_components),"2",1,1e6,NULL,"number of principal components (<= min(n, d))"},
 {"pca","method",K_ENUM,F(pca,method),"auto",0,0,"auto|covariance|svd|replicated|slepc","solver: ScaLAPACK covariance/eigen, ScaLAPACK SVD, replicated d x d LAPACK, or slepc (truncated SVD of the implicitly centred data; builds with PETSc, docs/pca.md)"},
 {"pca","block_size",K_INT,F(pca,block_size),"64",1,4096,NULL,"ScaLAPACK block size of 2-D block-cyclic matrices"},
 {"pca","precision",K_ENUM,F(pca,precision),"double",0,0,"double|mixed","replicated path: Gram matrix from double rows, or float ssyrk blocks summed in double (2x faster, ~1e-8 rank-dependent)"},
 {"pca","gram_kernel",K_ENUM,F(pca,gram_kernel),"auto",0,0,"auto|blas|amx","precision = mixed: Gram matrix by float ssyrk (blas) or on Intel AMX tiles (amx: as accurate, 1.4-2x faster on 784 columns); auto: amx for d >= 128 where the CPU has it"},
 {"pca","replicated_max_d",K_INT,F(pca,replicated_max_d),"2048",0,1e6,NULL,"auto picks the replicated d x d path up to this d"},
 /* PETSc/SLEPc backend (issue 19) */
 {"pca","slepc_solver",K_ENUM,F(pca,slepc_solver),"lanczos",0,0,"lanczos|krylovschur|randomized","method = slepc: SLEPc's thick-restart Lanczos bidiagonalisation, Krylov-Schur on the cross product, or randomized subspace iteration"},
 {"pca","slepc_tol",K_REAL,F(pca,slepc_tol),"1e-10",1e-15,0.1,NULL,"method = slepc: relative residual tolerance of the singular triplets"},
 {"autoencoder","enabled",K_BOOL,F(autoencoder,enabled),"true",0,0,NULL,"run the autoencoder stage"},
 {"autoencoder","layers",K_STR,F(autoencoder,layers),"",0,0,NULL,"layer widths, input to output, e.g. '10,8,6,2,6,8,10' (empty: d,2,d)"},
 {"autoencoder","activations",K_STR,F(autoencoder,activations),"",0,0,NULL,"one activation per weight layer (overrides the three keys below)"},
 {"autoencoder","activation",K_ENUM,F(autoencoder,activation),"relu",0,0,"sigmoid|relu|tanh|linear","activation of hidden layers"},
 {"autoencoder","bottleneck_activation",K_ENUM,F(autoencoder,bottleneck_activation),"linear",0,0,"sigmoid|relu|tanh|linear","activation of the bottleneck layer"},
 {"autoencoder","output_activation",K_ENUM,F(autoencoder,output_activation),"sigmoid",0,0,"sigmoid|relu|tanh|linear","activation of the output layer"},
 {"autoencoder","bottleneck",K_INT,F(autoencoder,bottleneck),"-1",-1,1000,NULL,"index of the code layer in 'layers', or the number of the stack layer whose output is the code (-1: the first narrowest)"},
 {"autoencoder","stack",K_STR,F(autoencoder,stack),"",0,0,NULL,"layer stack instead of 'layers', comma-separated: dense UNITS [ACT], conv FILTERS KERNEL [PAD] [ACT], pool SIZE [STRIDE] [PAD] (PAD: same or valid), up [FACTOR], flatten, reshape H W C (docs/autoencoder.md)"},
 {"autoencoder","input_shape",K_STR,F(autoencoder,input_shape),"",0,0,NULL,"stack: image shape of a row, 'height, width, channels' (NHWC, e.g. '28, 28, 1'); its product must equal the data width (empty: a flat row)"},
 {"train","optimizer",K_ENUM,F(train,optimizer),"adam",0,0,"sgd|adam|rmsprop|lbfgs","optimizer (Keras defaults); lbfgs: full-batch L-BFGS by PETSc/TAO as scikit-learn's MLPRegressor(solver='lbfgs'), epochs = max_iter (builds with PETSc, docs/autoencoder.md)"},
 {"train","loss",K_ENUM,F(train,loss),"mse",0,0,"mse|bce","reconstruction loss: mean squared error or binary cross-entropy"},
 {"train","learning_rate",K_REAL,F(train,learning_rate),"-1",-1,10,NULL,"learning rate; -1: the optimizer's Keras default (sgd 0.01, adam and rmsprop 0.001)"},
 {"train","momentum",K_REAL,F(train,momentum),"0",0,0.999999,NULL,"SGD momentum"},
 {"train","nesterov",K_BOOL,F(train,nesterov),"false",0,0,NULL,"SGD Nesterov momentum"},
 {"train","beta1",K_REAL,F(train,beta1),"0.9",0,0.999999,NULL,"Adam beta_1"},
 {"train","beta2",K_REAL,F(train,beta2),"0.999",0,0.9999999,NULL,"Adam beta_2"},
 {"train","epsilon",K_REAL,F(train,epsilon),"1e-7",1e-20,1,NULL,"Adam/RMSprop epsilon"},
 {"train","rho",K_REAL,F(train,rho),"0.9",0,0.999999,NULL,"RMSprop decay rho"},
 {"train","l2",K_REAL,F(train,l2),"0",0,1e6,NULL,"L2 penalty on weights (scikit-learn's alpha)"},
 {"train","batch_size",K_INT,F(train,batch_size),"64",1,1e9,NULL,"global minibatch size (split across ranks)"},
 {"train","epochs",K_INT,F(train,epochs),"10",1,1e7,NULL,"passes over the training rows"},
 {"train","seed",K_UINT,F(train,seed),"0",0,0,NULL,"seed of weight init, shuffling and denoising noise"},
 {"train","noise_factor",K_REAL,F(train,noise_factor),"0",0,100,NULL,"denoising: input + factor * N(0,1), clipped to [0,1]; 0 = off"},
 {"train","patience",K_INT,F(train,patience),"0",0,1e6,NULL,"early stopping: epochs without improvement of validation loss (0 = off)"},
 {"train","min_delta",K_REAL,F(train,min_delta),"0",0,1e30,NULL,"early stopping: smallest improvement that counts"},
 {"train","shuffle",K_BOOL,F(train,shuffle),"true",0,0,NULL,"new batch order every epoch"},
 {"train","flush_denormals",K_BOOL,F(train,flush_denormals),"true",0,0,NULL,"treat subnormal floats as zero while training (x86 FTZ/DAZ; avoids slow microcode assists)"},
 {"train","checkpoint_every",K_INT,F(train,checkpoint_every),"0",0,1e6,NULL,"write a checkpoint every N epochs (0 = off)"},
 /* optimizer = lbfgs (PETSc/TAO backend, issue 19) */
 {"train","lbfgs_max_fun",K_INT,F(train,lbfgs_max_fun),"15000",1,1e9,NULL,"lbfgs: most objective-and-gradient evaluations (scikit-learn's max_fun)"},
 {"train","lbfgs_history",K_INT,F(train,lbfgs_history),"10",1,1000,NULL,"lbfgs: correction pairs kept (scipy's maxcor)"},
 {"train","lbfgs_tol",K_REAL,F(train,lbfgs_tol),"1e-4",0,1e30,NULL,"lbfgs: stop when the largest absolute gradient entry is <= this (scikit-learn's tol)"},
 {"kmeans","enabled",K_BOOL,F(kmeans,enabled),"true",0,0,NULL,"run k-means on each space in 'spaces'"},
 {"kmeans","spaces",K_STR,F(kmeans,spaces),"pca,autoencoder",0,0,NULL,"comma list of spaces to cluster and score: raw, pca, autoencoder"},
 {"kmeans","n_clusters",K_INT,F(kmeans,n_clusters),"8",1,1e7,NULL,"number of clusters k (<= rows)"},
 {"kmeans","init",K_ENUM,F(kmeans,init),"k-means++",0,0,"k-means++|random","initialisation"},
 {"kmeans","n_init",K_INT,F(kmeans,n_init),"0",0,1000,NULL,"initialisations, the best inertia kept; 0: scikit-learn's auto (1 for k-means++, 10 for random)"},
 {"kmeans","max_iter",K_INT,F(kmeans,max_iter),"300",1,1e7,NULL,"maximum Lloyd iterations"},
 {"kmeans","tol",K_REAL,F(kmeans,tol),"1e-4",0,1,NULL,"convergence tolerance, relative to the mean feature variance (scikit-learn)"},
 {"kmeans","seed",K_UINT,F(kmeans,seed),"0",0,0,NULL,"seed of the initialisation"},
 {"metrics","silhouette",K_ENUM,F(metrics,silhouette),"exact",0,0,"exact|sampled|sqeuclidean|none","silhouette mode (see docs/clustering.md)"},
 {"metrics","sample_size",K_INT,F(metrics,sample_size),"10000",2,BIG,NULL,"rows used by the sampled silhouette"},
 {"metrics","seed",K_UINT,F(metrics,seed),"0",0,0,NULL,"seed of the silhouette sample"},
 {"metrics","rows",K_ENUM,F(metrics,rows),"test",0,0,"test|train","rows that are clustered and scored (test falls back to train when the test split is empty)"},
 /* t-SNE (issue 17, docs/tsne.md): scikit-learn 1.2's TSNE meaning and defaults */
 {"tsne","enabled",K_BOOL,F(tsne,enabled),"false",0,0,NULL,"latent run: embed each space in 'spaces' in 2-D by t-SNE (on the evaluation rows)"},
 {"tsne","spaces",K_STR,F(tsne,spaces),"autoencoder",0,0,NULL,"latent run: comma list of spaces to embed: raw, pca, autoencoder (`latent tsne` embeds the deck's data)"},
 {"tsne","perplexity",K_REAL,F(tsne,perplexity),"30",1e-3,1e6,NULL,"perplexity of the Gaussian neighbourhoods (below n - 1); k = min(n - 1, int(3 perplexity + 1)) exact neighbours"},
 {"tsne","early_exaggeration",K_REAL,F(tsne,early_exaggeration),"12",1e-3,1e6,NULL,"P is multiplied by this during the first exaggeration_iter iterations"},
 {"tsne","exaggeration_iter",K_INT,F(tsne,exaggeration_iter),"250",0,1e9,NULL,"iterations with early exaggeration (momentum_early)"},
 {"tsne","n_iter",K_INT,F(tsne,n_iter),"1000",1,1e9,NULL,"iterations in all, exaggerated ones included (scikit-learn 1.2's n_iter)"},
 {"tsne","learning_rate",K_REAL,F(tsne,learning_rate),"0",0,1e9,NULL,"step size in scikit-learn's units; 0: auto = max(n / early_exaggeration / 4, 50)"},
 {"tsne","momentum_early",K_REAL,F(tsne,momentum_early),"0.5",0,0.999999,NULL,"momentum during early exaggeration"},
 {"tsne","momentum",K_REAL,F(tsne,momentum),"0.8",0,0.999999,NULL,"momentum afterwards"},
 {"tsne","min_gain",K_REAL,F(tsne,min_gain),"0.01",1e-12,1,NULL,"gains (+0.2 on a sign flip, x0.8 otherwise) are clipped below at this"},
 {"tsne","min_grad_norm",K_REAL,F(tsne,min_grad_norm),"1e-7",0,1e30,NULL,"stop when the gradient norm falls to this (checked every n_iter_check iterations)"},
 {"tsne","n_iter_without_progress",K_INT,F(tsne,n_iter_without_progress),"300",1,1e9,NULL,"stop after this many iterations without a lower KL (250 = the exaggeration phase's own limit)"},
 {"tsne","n_iter_check",K_INT,F(tsne,n_iter_check),"50",1,1e9,NULL,"iterations between checks of KL and gradient norm"},
 {"tsne","init",K_ENUM,F(tsne,init),"pca",0,0,"pca|random","initial positions: the first two PCA scores scaled to std 1e-4 (scikit-learn 1.2), or seeded N(0, 1e-4^2); either gives the same bits on any rank count"},
 {"tsne","method",K_ENUM,F(tsne,method),"fft",0,0,"fft|exact","repulsion: FFT-accelerated interpolation with an exact near field, or exact O(n^2) (a reference for small n)"},
 {"tsne","fft_nodes",K_INT,F(tsne,fft_nodes),"3",2,8,NULL,"fft: Lagrange interpolation nodes per box and dimension"},
 {"tsne","fft_spacing",K_REAL,F(tsne,fft_spacing),"1",1e-3,1e3,NULL,"fft: node spacing in embedding units"},
 {"tsne","fft_min_nodes",K_INT,F(tsne,fft_min_nodes),"128",2,1e6,NULL,"fft: at least this many nodes per dimension (finer spacing while the embedding is small)"},
 {"tsne","near_radius",K_REAL,F(tsne,near_radius),"6",0,1e6,NULL,"fft: pairs closer than this (embedding units, at most an eighth of the extent) are summed exactly; 0 = plain FIt-SNE"},
 {"tsne","seed",K_UINT,F(tsne,seed),"0",0,0,NULL,"seed of the random initialisation"},
 {"tsne","verbose",K_BOOL,F(tsne,verbose),"false",0,0,NULL,"print KL and gradient norm at every check"},
 {"tsne","quality_sample",K_INT,F(tsne,quality_sample),"10000",0,1e6,NULL,"rows of the seeded sample for trustworthiness (5, 10), 10-NN recall and 2-D 10-NN accuracy (all rows if fewer; 0: skip)"},
 {"output","dir",K_STR,F(output,dir),"",0,0,NULL,"results folder (default results/<deck name>)"},
 {"output","format",K_ENUM,F(output,format),"npy",0,0,"npy|csv|hdf5|h5ad","format of written data sets; h5ad also writes results.h5ad (AnnData: obsm X_pca/X_latent, k-means labels, varm PCs; written for h5ad input in any case)"},
 {"output","write_data",K_BOOL,F(output,write_data),"true",0,0,NULL,"write the scaled train/test data sets"},
 {"output","figures",K_BOOL,F(output,figures),"true",0,0,NULL,"draw figures into <dir>/figures"},
 {"output","figure_format",K_ENUM,F(output,figure_format),"png",0,0,"png|svg|pdf","figure file format"},
 {"output","sample_size",K_INT,F(output,sample_size),"50000",100,1e6,NULL,"rows drawn (seeded) for scatter plots"},
 {"output","force",K_BOOL,F(output,force),"false",0,0,NULL,"replace an existing results folder"},
};
/* clang-format on */
#define NKEYS (sizeof keys / sizeof keys[0])

static const lt_key *find_key(const char *section, const char *key)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (!strcmp(keys[i].section, section) && !strcmp(keys[i].key, key)) return &keys[i];
    return NULL;
}

static int known_section(const char *section)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (!strcmp(keys[i].section, section)) return 1;
    return 0;
}

static int in_choices(const char *choices, const char *v)
{
    size_t n = strlen(v);
    for (const char *p = choices; p && *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && !strncmp(p, v, n)) return 1;
        p = bar ? bar + 1 : NULL;
    }
    return 0;
}

static int parse_bool(const char *v, int *out)
{
    static const char *yes[] = {"true", "yes", "on", "1"}, *no[] = {"false", "no", "off", "0"};
    for (int i = 0; i < 4; i++) {
        if (!strcasecmp(v, yes[i])) return *out = 1, 1;
        if (!strcasecmp(v, no[i])) return *out = 0, 1;
    }
    return 0;
}

/* 1 if "key = v" reads back as v: inih strips spaces around a value and
 * takes ';' after a space (or at the value's start, after "= ") as a
 * comment, and a line ends at a newline. The effective configuration is
 * written as a deck (checkpoints resume from it), so text it cannot hold is
 * refused where it enters (found by tests/fuzz/fuzz_deck.c). */
static int deck_safe(const char *v)
{
    if (*v == ';' || isspace((unsigned char)*v)) return 0;
    for (const char *p = v; *p; p++) {
        if (iscntrl((unsigned char)*p) && *p != '\t') return 0;
        if (*p == ';' && isspace((unsigned char)p[-1])) return 0;
    }
    return !*v || !isspace((unsigned char)v[strlen(v) - 1]);
}

/* Stores text v into the field of k; on failure writes the reason into why. */
static int store(lt_config *cfg, const lt_key *k, const char *v, char *why, size_t cap)
{
    char *field = (char *)cfg + k->off, *end = NULL;
    errno = 0;
    switch (k->kind) {
    case K_INT: {
        long long x = strtoll(v, &end, 10);
        if (!*v || *end || errno) return snprintf(why, cap, "not an integer"), 0;
        if (x < k->lo || x > k->hi)
            return snprintf(why, cap, "out of range [%.15g, %.15g]", k->lo, k->hi), 0;
        *(int64_t *)field = x;
        return 1;
    }
    case K_UINT: {
        unsigned long long x = strtoull(v, &end, 10);
        if (!*v || *end || errno || strchr(v, '-')) return snprintf(why, cap, "not a non-negative integer"), 0;
        *(uint64_t *)field = x;
        return 1;
    }
    case K_REAL: {
        double x = strtod(v, &end);
        if (!*v || *end || errno || !isfinite(x)) return snprintf(why, cap, "not a finite number"), 0;
        if (x < k->lo || x > k->hi)
            return snprintf(why, cap, "out of range [%.15g, %.15g]", k->lo, k->hi), 0;
        *(double *)field = x;
        return 1;
    }
    case K_BOOL:
        if (!parse_bool(v, (int *)field)) return snprintf(why, cap, "not a boolean (true/false)"), 0;
        return 1;
    case K_ENUM:
        if (!in_choices(k->choices, v)) return snprintf(why, cap, "must be one of %s", k->choices), 0;
        /* fall through */
    case K_STR:
        if (strlen(v) >= k->size) return snprintf(why, cap, "longer than %zu characters", k->size - 1), 0;
        if (!deck_safe(v))
            return snprintf(why, cap, "a deck cannot hold it (a space at either end, a control "
                                      "character, or ';' first or after a space)"), 0;
        snprintf(field, k->size, "%s", v);
        return 1;
    }
    return 0;
}

lt_status lt_config_set(lt_config *cfg, const char *section, const char *key, const char *value,
                        const char *origin)
{
    LT_CHECK(known_section(section), LT_ERR_CONFIG, "%s: unknown section [%s]", origin, section);
    const lt_key *k = find_key(section, key);
    LT_CHECK(k, LT_ERR_CONFIG, "%s: unknown key '%s' in section [%s]", origin, key, section);
    char why[200];
    LT_CHECK(store(cfg, k, value, why, sizeof why), LT_ERR_CONFIG, "%s: [%s] %s = '%s': %s",
             origin, section, key, value, why);
    return LT_OK;
}

void lt_config_defaults(lt_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    char why[200];
    for (size_t i = 0; i < NKEYS; i++) store(cfg, &keys[i], keys[i].def, why, sizeof why);
}

lt_status lt_config_get(const lt_config *cfg, const char *section, const char *key, char *buf,
                        size_t cap)
{
    const lt_key *k = find_key(section, key);
    LT_CHECK(k, LT_ERR_ARG, "unknown key [%s] %s", section, key);
    const char *field = (const char *)cfg + k->off;
    switch (k->kind) {
    case K_INT: snprintf(buf, cap, "%lld", (long long)*(const int64_t *)field); break;
    case K_UINT: snprintf(buf, cap, "%llu", (unsigned long long)*(const uint64_t *)field); break;
    case K_REAL: snprintf(buf, cap, "%.17g", *(const double *)field); break;
    case K_BOOL: snprintf(buf, cap, "%s", *(const int *)field ? "true" : "false"); break;
    default: snprintf(buf, cap, "%s", field); break;
    }
    return LT_OK;
}

void lt_config_print(const lt_config *cfg, FILE *f)
{
    const char *sec = "";
    char buf[LT_LIST_MAX + 64];
    for (size_t i = 0; i < NKEYS; i++) {
        if (strcmp(sec, keys[i].section)) {
            fprintf(f, "%s[%s]\n", *sec ? "\n" : "", keys[i].section);
            sec = keys[i].section;
        }
        lt_config_get(cfg, keys[i].section, keys[i].key, buf, sizeof buf);
        fprintf(f, "%s = %s\n", keys[i].key, buf);
    }
}

void lt_config_foreach(const lt_config *cfg, lt_config_visit visit, void *ctx)
{
    char buf[LT_LIST_MAX + 64];
    for (size_t i = 0; i < NKEYS; i++) {
        lt_config_get(cfg, keys[i].section, keys[i].key, buf, sizeof buf);
        visit(keys[i].section, keys[i].key, buf, ctx);
    }
}

void lt_config_print_reference(FILE *f)
{
    static const char *kinds[] = {"integer", "unsigned integer", "real", "boolean", "string", "choice"};
    const char *sec = "";
    for (size_t i = 0; i < NKEYS; i++) {
        const lt_key *k = &keys[i];
        if (strcmp(sec, k->section)) {
            sec = k->section;
            fprintf(f, "\n## [%s]\n\n| key | type | default | allowed | meaning |\n|---|---|---|---|---|\n",
                    sec);
        }
        char range[128] = "";
        if (k->kind == K_INT || k->kind == K_REAL) snprintf(range, sizeof range, "%.6g .. %.6g", k->lo, k->hi);
        if (k->kind == K_ENUM) snprintf(range, sizeof range, "%s", k->choices);
        for (char *p = range; *p; p++)
            if (*p == '|') *p = ',';
        fprintf(f, "| `%s` | %s | `%s` | %s | %s |\n", k->key, kinds[k->kind], k->def, range, k->doc);
    }
}
