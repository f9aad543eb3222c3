// i18n: every word the app shows, in English, Persian, Russian, Chinese
// and Arabic; the interface language and direction; dates, numbers and
// sizes in that language; the direction of an article from its language
// tag; and the text folding the title search uses.
(function (S) {
  'use strict';

  // The languages offered, each named in itself (never translated: a
  // reader must find their own language in a list they cannot read).
  const NAMES = Object.freeze({ en: 'English', fa: 'فارسی', ru: 'Русский', zh: '中文', ar: 'العربية' });

  // Primary language subtags written right to left, and the scripts that
  // are (a tag's script subtag, when it has one, decides: "az-Arab" is
  // right to left, "ku-Latn" is not). iw and ji are old codes for he, yi.
  const RTL_LANGS = new Set(['ar', 'fa', 'he', 'ur', 'ps', 'sd', 'ug', 'yi', 'ckb', 'dv', 'iw', 'ji', 'prs', 'syr']);
  const RTL_SCRIPTS = new Set(['arab', 'hebr', 'thaa', 'syrc']);

  // Browser language tags that mean one of ours: Dari and Iranian Persian.
  const ALIASES = { prs: 'fa', pes: 'fa' };

  const T = {};
  T.en = {
    'nav.publishers': 'Publishers',
    'nav.settings': 'Settings',
    'nav.articles': 'Articles',
    'pubs.none': 'This page names no publishers.',
    'pub.noname': '(no name given)',
    'fp.title': 'Publisher key fingerprint: the last characters of its ID',
    'list.search': 'Search titles',
    'list.empty': 'No articles yet.',
    'list.nomatch': 'No title contains “{q}”.',
    'list.more': 'Show more',
    'list.count': 'Articles: {n}',
    'list.saved': 'saved',
    'art.loading': 'Fetching and verifying the article…',
    'art.saved': 'Saved for offline reading.',
    'art.savefail': 'This article could not be saved for offline reading.',
    'art.stored': 'Showing the copy saved on this device.',
    'art.published': 'Published {date}',
    'art.updated': 'Updated {date}',
    'art.by': 'By {names}',
    'art.original': 'Original address (opens the publisher’s site, which may be blocked or watched):',
    'art.notfound': 'This article is not among the publisher’s current articles.',
    'art.attachments': 'Attachments',
    'art.download': 'Download',
    'img.tap': 'Image, {size} — tap to load',
    'img.loading': 'Loading the image…',
    'img.failed': 'The image could not be loaded.',
    'trust.update': 'Update {seq}, valid until {date}',
    'trust.byRoot': 'signed with the publisher’s own key',
    'trust.byHead': 'signed with a key the publisher delegated for updates',
    'trust.mirror': 'served by {mirror}',
    'trust.unknown': 'No verified update from this publisher yet.',
    'trust.stale': 'No update since {date}: possibly blocked.',
    'trust.offline': 'Offline: showing saved articles.',
    'trust.refresh': 'Check for updates',
    'st.head': 'Looking for the publisher’s latest update…',
    'st.catalog': 'Verifying the list of bundles…',
    'st.bundle': 'Verifying bundle {n}…',
    'st.refused': '{mirror} offered an older or conflicting update: refused.',
    'st.skipped': 'An older bundle did not verify and was skipped.',
    'st.retry': '{mirror} failed ({error}); trying the next mirror…',
    'err.verify': 'Verification failed ({kind}): {object} from {mirror} is not genuine. Nothing of it is shown.',
    'err.unreachable': 'No mirror could be reached. Check your connection, or add a mirror in the settings.',
    'err.other': 'Something went wrong: {error}',
    'err.config': 'This page’s configuration is missing or damaged.',
    'err.nopub': 'This page does not follow that publisher.',
    'err.retry': 'Try again',
    'err.tried': 'Mirrors tried:',
    'obj.head': 'the publisher’s update',
    'obj.catalog': 'the list of bundles',
    'obj.bundle': 'a bundle',
    'obj.article': 'the article',
    'obj.image': 'an image',
    'mirror.some': 'a mirror',
    'set.mirrors': 'Mirrors',
    'set.mirrorsHelp': 'The reader asks these in turn. Everything they send is verified, so a mirror cannot change what you read; it can only fail to answer.',
    'set.addHelp': 'A mirror added here works only if this copy of the page allows it; if it does not, open the reader from that mirror instead.',
    'set.url': 'Mirror address (https://…)',
    'set.add': 'Add',
    'set.remove': 'Remove',
    'set.lastok': 'worked {date}',
    'set.never': 'not used yet',
    'set.lasterr': 'failed: {error}',
    'set.learned': 'listed in the publisher’s signed data',
    'set.blocked': 'This copy of the page cannot reach it; a page from a mirror that lists it can.',
    'set.badurl': 'Enter an address that starts with https:// or http://.',
    'set.low': 'Low-bandwidth mode: load images only when tapped',
    'set.lang': 'Interface language',
    'set.auto': 'Automatic',
    'set.nostore': 'This browser does not let the page keep data: saved articles are lost when it closes.',
    'kind.gateway': 'gateway',
    'kind.static': 'static copy',
    'kind.auto': 'kind not yet known',
  };

  T.fa = {
    'nav.publishers': 'ناشران',
    'nav.settings': 'تنظیمات',
    'nav.articles': 'مقاله‌ها',
    'pubs.none': 'این صفحه هیچ ناشری را معرفی نمی‌کند.',
    'pub.noname': '(بی‌نام)',
    'fp.title': 'اثر انگشت کلید ناشر: نویسه‌های پایانی شناسهٔ آن',
    'list.search': 'جست‌وجو در عنوان‌ها',
    'list.empty': 'هنوز مقاله‌ای نیست.',
    'list.nomatch': 'هیچ عنوانی «{q}» را در بر ندارد.',
    'list.more': 'نمایش بیشتر',
    'list.count': 'مقاله‌ها: {n}',
    'list.saved': 'ذخیره‌شده',
    'art.loading': 'در حال دریافت و بررسی اصالت مقاله…',
    'art.saved': 'برای خواندن آفلاین ذخیره شد.',
    'art.savefail': 'این مقاله برای خواندن آفلاین ذخیره نشد.',
    'art.stored': 'نسخهٔ ذخیره‌شده در این دستگاه نمایش داده می‌شود.',
    'art.published': 'انتشار: {date}',
    'art.updated': 'به‌روزرسانی: {date}',
    'art.by': 'نوشتهٔ {names}',
    'art.original': 'نشانی اصلی (سایت ناشر را باز می‌کند که ممکن است مسدود یا زیر نظر باشد):',
    'art.notfound': 'این مقاله در میان مقاله‌های کنونی ناشر نیست.',
    'art.attachments': 'پیوست‌ها',
    'art.download': 'دریافت',
    'img.tap': 'تصویر، {size} — برای بارگیری بزنید',
    'img.loading': 'در حال بارگیری تصویر…',
    'img.failed': 'تصویر بارگیری نشد.',
    'trust.update': 'به‌روزرسانی {seq}، معتبر تا {date}',
    'trust.byRoot': 'امضاشده با کلید خود ناشر',
    'trust.byHead': 'امضاشده با کلیدی که ناشر برای به‌روزرسانی‌ها به آن اختیار داده است',
    'trust.mirror': 'رسیده از {mirror}',
    'trust.unknown': 'هنوز هیچ به‌روزرسانی اصالت‌سنجی‌شده‌ای از این ناشر نرسیده است.',
    'trust.stale': 'از {date} تاکنون به‌روزرسانی‌ای نرسیده است: شاید مسدود شده باشد.',
    'trust.offline': 'آفلاین: مقاله‌های ذخیره‌شده نمایش داده می‌شوند.',
    'trust.refresh': 'بررسی به‌روزرسانی',
    'st.head': 'در جست‌وجوی تازه‌ترین به‌روزرسانی ناشر…',
    'st.catalog': 'در حال بررسی اصالت فهرست بسته‌ها…',
    'st.bundle': 'در حال بررسی اصالت بستهٔ {n}…',
    'st.refused': '{mirror} به‌روزرسانی قدیمی‌تر یا ناسازگاری فرستاد و پذیرفته نشد.',
    'st.skipped': 'یک بستهٔ قدیمی‌تر از بررسی اصالت رد شد و کنار گذاشته شد.',
    'st.retry': '{mirror} ناموفق بود ({error})؛ در حال امتحان آینهٔ بعدی…',
    'err.verify': 'بررسی اصالت ناموفق بود ({kind}): اصالت {object} از {mirror} تأیید نشد. هیچ بخشی از آن نمایش داده نمی‌شود.',
    'err.unreachable': 'به هیچ آینه‌ای نمی‌توان وصل شد. اتصال خود را بررسی کنید یا در تنظیمات آینه‌ای بیفزایید.',
    'err.other': 'مشکلی پیش آمد: {error}',
    'err.config': 'پیکربندی این صفحه موجود نیست یا آسیب دیده است.',
    'err.nopub': 'این صفحه آن ناشر را دنبال نمی‌کند.',
    'err.retry': 'دوباره امتحان کنید',
    'err.tried': 'آینه‌های امتحان‌شده:',
    'obj.head': 'به‌روزرسانی ناشر',
    'obj.catalog': 'فهرست بسته‌ها',
    'obj.bundle': 'یک بسته',
    'obj.article': 'مقاله',
    'obj.image': 'یک تصویر',
    'mirror.some': 'یک آینه',
    'set.mirrors': 'آینه‌ها',
    'set.mirrorsHelp': 'خواننده به‌نوبت از این آینه‌ها می‌پرسد. هر چه بفرستند اصالت‌سنجی می‌شود، پس هیچ آینه‌ای نمی‌تواند آنچه را می‌خوانید تغییر دهد؛ تنها ممکن است پاسخ ندهد.',
    'set.addHelp': 'آینه‌ای که این‌جا افزوده شود فقط در صورتی کار می‌کند که این نسخه از صفحه اجازه دهد؛ وگرنه خواننده را از خود آن آینه باز کنید.',
    'set.url': 'نشانی آینه (https://…)',
    'set.add': 'افزودن',
    'set.remove': 'حذف',
    'set.lastok': 'کار کرد: {date}',
    'set.never': 'هنوز به کار نرفته',
    'set.lasterr': 'ناموفق: {error}',
    'set.learned': 'در دادهٔ امضاشدهٔ ناشر آمده است',
    'set.blocked': 'این نسخه از صفحه به آن دسترسی ندارد؛ صفحه‌ای از آینه‌ای که آن را فهرست کرده دارد.',
    'set.badurl': 'نشانی‌ای وارد کنید که با https:// یا http:// آغاز شود.',
    'set.low': 'حالت کم‌مصرف: تصویرها فقط با زدن بارگیری شوند',
    'set.lang': 'زبان برنامه',
    'set.auto': 'خودکار',
    'set.nostore': 'این مرورگر به صفحه اجازهٔ نگه‌داشتن داده نمی‌دهد: مقاله‌های ذخیره‌شده با بستن صفحه از دست می‌روند.',
    'kind.gateway': 'دروازه',
    'kind.static': 'نسخهٔ ایستا',
    'kind.auto': 'نوعش هنوز معلوم نیست',
  };

  T.ru = {
    'nav.publishers': 'Издатели',
    'nav.settings': 'Настройки',
    'nav.articles': 'Статьи',
    'pubs.none': 'На этой странице не указан ни один издатель.',
    'pub.noname': '(без названия)',
    'fp.title': 'Отпечаток ключа издателя: последние символы его идентификатора',
    'list.search': 'Поиск по заголовкам',
    'list.empty': 'Статей пока нет.',
    'list.nomatch': 'Нет заголовков, содержащих «{q}».',
    'list.more': 'Показать ещё',
    'list.count': 'Статей: {n}',
    'list.saved': 'сохранено',
    'art.loading': 'Загрузка и проверка статьи…',
    'art.saved': 'Сохранено для чтения без сети.',
    'art.savefail': 'Не удалось сохранить статью для чтения без сети.',
    'art.stored': 'Показана копия, сохранённая на этом устройстве.',
    'art.published': 'Опубликовано {date}',
    'art.updated': 'Обновлено {date}',
    'art.by': 'Авторство: {names}',
    'art.original': 'Исходный адрес (откроет сайт издателя, который может быть заблокирован или находиться под наблюдением):',
    'art.notfound': 'Этой статьи нет среди текущих статей издателя.',
    'art.attachments': 'Вложения',
    'art.download': 'Скачать',
    'img.tap': 'Изображение, {size} — нажмите, чтобы загрузить',
    'img.loading': 'Загрузка изображения…',
    'img.failed': 'Не удалось загрузить изображение.',
    'trust.update': 'Обновление {seq}, действительно до {date}',
    'trust.byRoot': 'подписано собственным ключом издателя',
    'trust.byHead': 'подписано ключом, которому издатель поручил обновления',
    'trust.mirror': 'получено с {mirror}',
    'trust.unknown': 'Проверенных обновлений от этого издателя пока нет.',
    'trust.stale': 'Нет обновлений с {date}: возможно, доступ заблокирован.',
    'trust.offline': 'Нет связи: показаны сохранённые статьи.',
    'trust.refresh': 'Проверить обновления',
    'st.head': 'Поиск последнего обновления издателя…',
    'st.catalog': 'Проверка списка пакетов…',
    'st.bundle': 'Проверка пакета {n}…',
    'st.refused': '{mirror} предложил более старое или противоречивое обновление: оно отклонено.',
    'st.skipped': 'Более старый пакет не прошёл проверку и пропущен.',
    'st.retry': 'Сбой на {mirror} ({error}); пробуем следующее зеркало…',
    'err.verify': 'Проверка подлинности не пройдена ({kind}): {object} с {mirror}. Ничего из полученного не показано.',
    'err.unreachable': 'Не удалось связаться ни с одним зеркалом. Проверьте подключение или добавьте зеркало в настройках.',
    'err.other': 'Что-то пошло не так: {error}',
    'err.config': 'Настройки этой страницы отсутствуют или повреждены.',
    'err.nopub': 'Эта страница не следит за этим издателем.',
    'err.retry': 'Повторить',
    'err.tried': 'Опрошенные зеркала:',
    'obj.head': 'обновление издателя',
    'obj.catalog': 'список пакетов',
    'obj.bundle': 'пакет',
    'obj.article': 'статья',
    'obj.image': 'изображение',
    'mirror.some': 'неизвестного зеркала',
    'set.mirrors': 'Зеркала',
    'set.mirrorsHelp': 'Читалка опрашивает их по очереди. Всё, что они присылают, проверяется, поэтому зеркало не может изменить то, что вы читаете, — оно может лишь не ответить.',
    'set.addHelp': 'Добавленное здесь зеркало заработает, только если эта копия страницы это разрешает; иначе откройте читалку с самого зеркала.',
    'set.url': 'Адрес зеркала (https://…)',
    'set.add': 'Добавить',
    'set.remove': 'Удалить',
    'set.lastok': 'работало {date}',
    'set.never': 'ещё не использовалось',
    'set.lasterr': 'ошибка: {error}',
    'set.learned': 'указано в подписанных данных издателя',
    'set.blocked': 'Эта копия страницы не может к нему обращаться; страница с зеркала, где оно указано, может.',
    'set.badurl': 'Введите адрес, начинающийся с https:// или http://.',
    'set.low': 'Экономия трафика: загружать изображения только по нажатию',
    'set.lang': 'Язык интерфейса',
    'set.auto': 'Автоматически',
    'set.nostore': 'Этот браузер не позволяет странице хранить данные: сохранённые статьи пропадут после её закрытия.',
    'kind.gateway': 'шлюз',
    'kind.static': 'статическая копия',
    'kind.auto': 'тип пока неизвестен',
  };

  T.zh = {
    'nav.publishers': '发布者',
    'nav.settings': '设置',
    'nav.articles': '文章',
    'pubs.none': '本页面没有列出任何发布者。',
    'pub.noname': '（未命名）',
    'fp.title': '发布者密钥指纹：其 ID 的最后几个字符',
    'list.search': '搜索标题',
    'list.empty': '暂无文章。',
    'list.nomatch': '没有包含“{q}”的标题。',
    'list.more': '显示更多',
    'list.count': '文章：{n} 篇',
    'list.saved': '已保存',
    'art.loading': '正在获取并验证文章…',
    'art.saved': '已保存，可离线阅读。',
    'art.savefail': '无法保存此文章以供离线阅读。',
    'art.stored': '正在显示保存在本设备上的副本。',
    'art.published': '发布于 {date}',
    'art.updated': '更新于 {date}',
    'art.by': '作者：{names}',
    'art.original': '原始地址（将打开发布者的网站，该网站可能被封锁或受到监视）：',
    'art.notfound': '此文章不在发布者当前的文章中。',
    'art.attachments': '附件',
    'art.download': '下载',
    'img.tap': '图片，{size}——点按加载',
    'img.loading': '正在加载图片…',
    'img.failed': '图片无法加载。',
    'trust.update': '第 {seq} 次更新，有效期至 {date}',
    'trust.byRoot': '由发布者本人的密钥签名',
    'trust.byHead': '由发布者授权用于更新的密钥签名',
    'trust.mirror': '来自 {mirror}',
    'trust.unknown': '尚未收到该发布者经过验证的更新。',
    'trust.stale': '自 {date} 以来没有更新：可能已被封锁。',
    'trust.offline': '离线：正在显示已保存的文章。',
    'trust.refresh': '检查更新',
    'st.head': '正在查找发布者的最新更新…',
    'st.catalog': '正在验证文章包列表…',
    'st.bundle': '正在验证第 {n} 个文章包…',
    'st.refused': '{mirror} 提供了较旧或相互矛盾的更新，已拒绝。',
    'st.skipped': '一个较旧的文章包未通过验证，已跳过。',
    'st.retry': '{mirror} 失败（{error}）；正在尝试下一个镜像…',
    'err.verify': '验证失败（{kind}）：来自 {mirror} 的{object}不是真实的。其中任何内容都不会显示。',
    'err.unreachable': '无法连接任何镜像。请检查网络连接，或在设置中添加镜像。',
    'err.other': '出错了：{error}',
    'err.config': '本页面的配置缺失或已损坏。',
    'err.nopub': '本页面没有关注该发布者。',
    'err.retry': '重试',
    'err.tried': '已尝试的镜像：',
    'obj.head': '发布者更新',
    'obj.catalog': '文章包列表',
    'obj.bundle': '文章包',
    'obj.article': '文章',
    'obj.image': '图片',
    'mirror.some': '某个镜像',
    'set.mirrors': '镜像',
    'set.mirrorsHelp': '阅读器会依次询问这些镜像。它们发送的一切都会经过验证，因此镜像无法篡改你读到的内容，最多只是不回应。',
    'set.addHelp': '在此添加的镜像只有在本页面副本允许时才能使用；否则请直接从该镜像打开阅读器。',
    'set.url': '镜像地址（https://…）',
    'set.add': '添加',
    'set.remove': '移除',
    'set.lastok': '{date} 可用',
    'set.never': '尚未使用',
    'set.lasterr': '失败：{error}',
    'set.learned': '来自发布者签名的数据',
    'set.blocked': '本页面副本无法访问它；从列出它的镜像打开的页面可以。',
    'set.badurl': '请输入以 https:// 或 http:// 开头的地址。',
    'set.low': '省流量模式：仅在点按时加载图片',
    'set.lang': '界面语言',
    'set.auto': '自动',
    'set.nostore': '此浏览器不允许本页面保存数据：关闭页面后，已保存的文章将会丢失。',
    'kind.gateway': '网关',
    'kind.static': '静态副本',
    'kind.auto': '类型尚不清楚',
  };

  T.ar = {
    'nav.publishers': 'الناشرون',
    'nav.settings': 'الإعدادات',
    'nav.articles': 'المقالات',
    'pubs.none': 'لا تذكر هذه الصفحة أي ناشر.',
    'pub.noname': '(بلا اسم)',
    'fp.title': 'بصمة مفتاح الناشر: آخر أحرف معرّفه',
    'list.search': 'ابحث في العناوين',
    'list.empty': 'لا توجد مقالات بعد.',
    'list.nomatch': 'لا يوجد عنوان يحتوي على «{q}».',
    'list.more': 'عرض المزيد',
    'list.count': 'المقالات: {n}',
    'list.saved': 'محفوظ',
    'art.loading': 'جارٍ جلب المقال والتحقق منه…',
    'art.saved': 'حُفظ للقراءة دون اتصال.',
    'art.savefail': 'تعذّر حفظ هذا المقال للقراءة دون اتصال.',
    'art.stored': 'تُعرض النسخة المحفوظة على هذا الجهاز.',
    'art.published': 'نُشر في {date}',
    'art.updated': 'حُدّث في {date}',
    'art.by': 'بقلم {names}',
    'art.original': 'العنوان الأصلي (يفتح موقع الناشر، وقد يكون محجوبًا أو مراقَبًا):',
    'art.notfound': 'هذا المقال ليس ضمن مقالات الناشر الحالية.',
    'art.attachments': 'المرفقات',
    'art.download': 'تنزيل',
    'img.tap': 'صورة، {size} — انقر للتحميل',
    'img.loading': 'جارٍ تحميل الصورة…',
    'img.failed': 'تعذّر تحميل الصورة.',
    'trust.update': 'التحديث {seq}، صالح حتى {date}',
    'trust.byRoot': 'موقَّع بمفتاح الناشر نفسه',
    'trust.byHead': 'موقَّع بمفتاح فوّضه الناشر للتحديثات',
    'trust.mirror': 'عبر {mirror}',
    'trust.unknown': 'لا يوجد بعد تحديث موثَّق من هذا الناشر.',
    'trust.stale': 'لا تحديث منذ {date}: ربما حُجب.',
    'trust.offline': 'دون اتصال: تُعرض المقالات المحفوظة.',
    'trust.refresh': 'البحث عن تحديثات',
    'st.head': 'جارٍ البحث عن آخر تحديث للناشر…',
    'st.catalog': 'جارٍ التحقق من قائمة الحزم…',
    'st.bundle': 'جارٍ التحقق من الحزمة {n}…',
    'st.refused': 'قدّمت المرآة {mirror} تحديثًا أقدم أو متعارضًا، فرُفض.',
    'st.skipped': 'لم تجتز حزمةٌ أقدم التحقق، فتُخطّيت.',
    'st.retry': 'فشلت المرآة {mirror} ({error})؛ جارٍ تجربة المرآة التالية…',
    'err.verify': 'فشل التحقق ({kind}): لم تثبت أصالة {object} من {mirror}. لا يُعرض شيء مما وصل.',
    'err.unreachable': 'تعذّر الوصول إلى أي مرآة. تحقّق من اتصالك أو أضف مرآة في الإعدادات.',
    'err.other': 'حدث خطأ: {error}',
    'err.config': 'إعدادات هذه الصفحة مفقودة أو تالفة.',
    'err.nopub': 'هذه الصفحة لا تتابع ذلك الناشر.',
    'err.retry': 'أعد المحاولة',
    'err.tried': 'المرايا التي جُرّبت:',
    'obj.head': 'تحديث الناشر',
    'obj.catalog': 'قائمة الحزم',
    'obj.bundle': 'حزمة',
    'obj.article': 'المقال',
    'obj.image': 'صورة',
    'mirror.some': 'مرآة ما',
    'set.mirrors': 'المرايا',
    'set.mirrorsHelp': 'يسأل القارئ هذه المرايا واحدة تلو الأخرى. كل ما ترسله يُتحقَّق منه، فلا تستطيع أي مرآة تغيير ما تقرؤه؛ أقصى ما قد تفعله ألّا تجيب.',
    'set.addHelp': 'لا تعمل المرآة المضافة هنا إلا إذا سمحت بها هذه النسخة من الصفحة؛ وإلا فافتح القارئ من تلك المرآة نفسها.',
    'set.url': 'عنوان المرآة (https://…)',
    'set.add': 'إضافة',
    'set.remove': 'إزالة',
    'set.lastok': 'عملت في {date}',
    'set.never': 'لم تُستخدم بعد',
    'set.lasterr': 'فشلت: {error}',
    'set.learned': 'مذكورة في بيانات الناشر الموقَّعة',
    'set.blocked': 'لا تستطيع هذه النسخة من الصفحة الوصول إليها؛ تستطيع ذلك صفحةٌ من مرآة تذكرها.',
    'set.badurl': 'أدخل عنوانًا يبدأ بـ https:// أو http://.',
    'set.low': 'وضع توفير البيانات: لا تُحمَّل الصور إلا عند النقر',
    'set.lang': 'لغة الواجهة',
    'set.auto': 'تلقائي',
    'set.nostore': 'لا يسمح هذا المتصفح للصفحة بحفظ البيانات: ستضيع المقالات المحفوظة عند إغلاقها.',
    'kind.gateway': 'بوابة',
    'kind.static': 'نسخة ثابتة',
    'kind.auto': 'النوع غير معروف بعد',
  };

  let lang = 'en';
  let fmt = null; // Intl formatters of the current language

  function formatters(l) {
    const unit = (u, digits, long) =>
      new Intl.NumberFormat(l, { style: 'unit', unit: u, maximumFractionDigits: digits, unitDisplay: long ? 'long' : 'short' });
    return {
      date: new Intl.DateTimeFormat(l, { dateStyle: 'medium' }),
      dateTime: new Intl.DateTimeFormat(l, { dateStyle: 'medium', timeStyle: 'short' }),
      num: new Intl.NumberFormat(l, { useGrouping: false }),
      list: new Intl.ListFormat(l, { type: 'conjunction' }),
      bytes: unit('byte', 0, true),
      kb: unit('kilobyte', 0),
      mb: unit('megabyte', 1),
    };
  }

  // supported maps a BCP 47 tag to one of our languages, or null.
  function supported(tag) {
    const primary = String(tag || '').toLowerCase().split(/[-_]/)[0];
    const l = ALIASES[primary] || primary;
    return Object.hasOwn(T, l) ? l : null;
  }

  // detect picks the first of the browser's languages that we have.
  function detect(langs) {
    const nav = globalThis.navigator;
    const list = langs || (nav && (nav.languages || [nav.language])) || [];
    for (const tag of list) {
      const l = supported(tag);
      if (l) return l;
    }
    return 'en';
  }

  // setLang switches the interface language (unknown: English) and, in a
  // page, the document's lang and dir.
  function setLang(l) {
    lang = supported(l) || 'en';
    fmt = formatters(lang);
    const doc = globalThis.document;
    if (doc) {
      doc.documentElement.lang = lang;
      doc.documentElement.dir = dirOf(lang);
    }
    return lang;
  }

  // t returns the text of key in the interface language (English when a
  // language lacks it, the key itself when no language has it), with each
  // {name} replaced by params[name]. The result is text, never markup.
  function t(key, params) {
    const s = T[lang][key] ?? T.en[key] ?? key;
    if (!params) return s;
    return s.replace(/\{(\w+)\}/g, (m, name) => (params[name] == null ? m : String(params[name])));
  }

  // dirOf gives the direction of text in the language tag: 'rtl', 'ltr',
  // or 'auto' when the tag says nothing ("und", empty, not a tag), so the
  // browser looks at the text itself.
  function dirOf(tag) {
    const parts = String(tag || '').toLowerCase().split(/[-_]/);
    const primary = parts[0];
    if (!/^[a-z]{2,8}$/.test(primary)) return 'auto';
    // The script subtag comes before any singleton (extension, private use).
    for (const p of parts.slice(1)) {
      if (p.length === 1) break;
      if (/^[a-z]{4}$/.test(p)) return RTL_SCRIPTS.has(p) ? 'rtl' : 'ltr';
    }
    if (primary === 'und') return 'auto';
    return RTL_LANGS.has(primary) ? 'rtl' : 'ltr';
  }

  // Intl throws RangeError on times it cannot show (beyond ±8.64e15 ms).
  function safe(f, v) {
    try {
      return f.format(v);
    } catch (e) {
      return '';
    }
  }

  // size shows a byte count the way a reader on a metered line thinks of it.
  function size(n) {
    if (n < 1024) return fmt.bytes.format(n);
    if (n < 1024 * 1024) return fmt.kb.format(Math.max(1, Math.round(n / 1024)));
    return fmt.mb.format(n / (1024 * 1024));
  }

  // fold makes text comparable for the title search: compatibility forms
  // and case folded; the Arabic-script letters Persian and Arabic write
  // differently (ي/ی, ك/ک, ة/ه), harakat, tatweel and zero-width joiners
  // dropped, so a reader finds a title however their keyboard spells it.
  function fold(s) {
    return String(s)
      .normalize('NFKC')
      .toLowerCase()
      .replace(/[\u064b-\u065f\u0670\u0640\u200c\u200d]/g, '')
      .replace(/[يى]/g, 'ی')
      .replace(/ك/g, 'ک')
      .replace(/ة/g, 'ه')
      .replace(/[أإآ]/g, 'ا');
  }

  setLang('en');

  S.i18n = {
    NAMES,
    strings: T,
    t,
    setLang,
    detect,
    supported,
    dirOf,
    fold,
    size,
    get lang() {
      return lang;
    },
    date: (ms) => safe(fmt.date, ms),
    dateTime: (ms) => safe(fmt.dateTime, ms),
    num: (n) => safe(fmt.num, n),
    list: (items) => fmt.list.format(items),
  };
})(globalThis.samizdat ||= {});
